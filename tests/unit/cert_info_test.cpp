// cert_info on certificates made in memory, and the chain analysis on plain CertInfo values.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "checks/cert_info.h"
#include "checks/findings.h"

using namespace prober::checks;

namespace {

struct X509Deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

std::unique_ptr<X509, X509Deleter> make_cert(const char* cn, const char* issuer_cn, bool ca, const char* san,
                                             const char* aia, long not_after_days) {
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_NAME_add_entry_by_txt(X509_get_issuer_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(issuer_cn), -1, -1, 0);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_days * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (san) add(NID_subject_alt_name, san);
  if (aia) add(NID_info_access, aia);
  X509_sign(cert.get(), key.get(), EVP_sha256());
  return cert;
}

CertInfo info(const char* subject, const char* issuer, bool ca, bool aia) {
  CertInfo c;
  c.subject = std::string("CN=") + subject;
  c.issuer = std::string("CN=") + issuer;
  c.is_ca = ca;
  c.self_issued = c.subject == c.issuer;
  if (aia) c.ca_issuers_url = "http://ca.test/i.der";
  return c;
}

}  // namespace

TEST_CASE("facts read from a certificate") {
  auto cert = make_cert("shop.test", "Test Intermediate", false,
                        "DNS:shop.test,DNS:www.shop.test,IP:127.0.0.1,IP:2001:db8::1,IP:::1",
                        "caIssuers;URI:http://ca.test/intermediate.der", 30);
  CertInfo c = cert_info(cert.get());
  CHECK(c.subject == "CN=shop.test");
  CHECK(c.issuer_cn == "Test Intermediate");
  // Addresses as they are written (an IPv6 one was hex bytes), so "certificate is for ..." reads
  // right and a URL's [::1] is found among them.
  CHECK(c.dns_names == std::vector<std::string>{"shop.test", "www.shop.test", "127.0.0.1", "2001:db8::1", "::1"});
  CHECK(certificate_matches(c, "::1"));
  CHECK(c.ca_issuers_url == "http://ca.test/intermediate.der");
  CHECK_FALSE(c.is_ca);
  CHECK_FALSE(c.self_issued);
  CHECK(c.key_type == "id-ecPublicKey");
  CHECK(c.key_bits == 256);
  CHECK(c.sha256.size() == 64);
  CHECK(c.signature_algorithm == "ecdsa-with-SHA256");
  CHECK(c.not_after - c.not_before == 31 * 86400);
}

TEST_CASE("a self-issued CA") {
  auto root = make_cert("Root", "Root", true, nullptr, nullptr, 3650);
  CertInfo c = cert_info(root.get());
  CHECK(c.is_ca);
  CHECK(c.self_issued);
  CHECK_FALSE(c.ca_issuers_url.has_value());
}

TEST_CASE("missing intermediate: a leaf whose issuer the server did not send") {
  CHECK(missing_intermediate({info("shop", "Intermediate", false, true)}));
  // Sent leaf and intermediate: what is missing is the root, which servers need not send.
  CHECK_FALSE(
      missing_intermediate({info("shop", "Intermediate", false, true), info("Intermediate", "Root", true, false)}));
  // Order does not matter.
  CHECK_FALSE(
      missing_intermediate({info("Intermediate", "Root", true, false), info("shop", "Intermediate", false, true)}));
  // Self-signed: an untrusted certificate, not an incomplete chain.
  CHECK_FALSE(missing_intermediate({info("shop", "shop", false, false)}));
  // A leaf straight from an unknown private CA with no AIA: unknown root, not a missing intermediate.
  CHECK_FALSE(missing_intermediate({info("shop", "Private CA", false, false)}));
  // Leaf plus an unrelated certificate: the issuer is still missing.
  CHECK(missing_intermediate({info("shop", "Intermediate", false, true), info("Other", "Root", true, false)}));
  CHECK_FALSE(missing_intermediate({}));
}

TEST_CASE("expiry arithmetic") {
  CertInfo a, b;
  a.not_after = 2000;
  b.not_after = 1000;
  CHECK(earliest_expiry({a, b}) == 1000);
  CHECK_FALSE(earliest_expiry({}).has_value());
  CHECK(days_left(86400 * 3 + 100, 0) == 3);
  CHECK(days_left(86400 * 3 - 1, 0) == 2);
  CHECK(days_left(0, 100) == -1);
}

namespace {

bool same_facts(const CertInfo& a, const CertInfo& b) {
  return a.subject == b.subject && a.issuer == b.issuer && a.subject_cn == b.subject_cn && a.issuer_cn == b.issuer_cn &&
         a.not_before == b.not_before && a.not_after == b.not_after && a.sha256 == b.sha256 && a.is_ca == b.is_ca &&
         a.self_issued == b.self_issued && a.dns_names == b.dns_names && a.ca_issuers_url == b.ca_issuers_url &&
         a.key_type == b.key_type && a.key_bits == b.key_bits && a.signature_algorithm == b.signature_algorithm;
}

}  // namespace

TEST_CASE("cached certificate facts are those of the very certificate, never of a look-alike") {
  auto first = make_cert("shop.test", "Issuing CA", false, "DNS:shop.test", nullptr, 30);
  CertInfo direct = cert_info(first.get());
  CHECK(same_facts(cert_info_cached(first.get()), direct));
  CHECK(same_facts(cert_info_cached(first.get()), direct));  // a hit: the same facts again

  // The same names, a new key and expiry (a renewal): its own facts, not the cached ones.
  auto renewed = make_cert("shop.test", "Issuing CA", false, "DNS:shop.test,DNS:www.shop.test", nullptr, 90);
  CertInfo fresh = cert_info_cached(renewed.get());
  CHECK(same_facts(fresh, cert_info(renewed.get())));
  CHECK(fresh.sha256 != direct.sha256);
  CHECK(fresh.not_after > direct.not_after);
  CHECK(fresh.dns_names.size() == 2);

  // More distinct certificates than the cache holds: every answer still the certificate's own.
  for (std::size_t i = 0; i <= kCachedCertificates; ++i) {
    auto cert = make_cert(("host" + std::to_string(i) + ".test").c_str(), "Issuing CA", false, nullptr, nullptr, 5);
    if (i % 512 == 0)
      CHECK(cert_info_cached(cert.get()).subject_cn == "host" + std::to_string(i) + ".test");
    else
      cert_info_cached(cert.get());
  }
  CHECK(same_facts(cert_info_cached(first.get()), direct));
}
