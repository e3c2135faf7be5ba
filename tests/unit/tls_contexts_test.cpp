// The shared TLS contexts: one per setting, rebuilt when a file changes, a broken file refused
// as curl would refuse it, unused settings dropped.
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "checks/tls_contexts.h"
#include "io/openssl_handles.h"

using namespace prober;
using checks::TlsContexts;

namespace {

// A self-signed certificate and its key, as PEM text.
std::pair<std::string, std::string> self_signed(const char* cn) {
  io::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  io::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_sign(cert.get(), key.get(), EVP_sha256());
  auto pem = [](auto write) {
    io::BioPtr bio(BIO_new(BIO_s_mem()));
    write(bio.get());
    char* data = nullptr;
    long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
  };
  return {pem([&](BIO* b) { PEM_write_bio_X509(b, cert.get()); }),
          pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); })};
}

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/prober-tls-contexts-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& file, const std::string& text) const {
    std::ofstream(path + "/" + file, std::ios::trunc) << text;
    return path + "/" + file;
  }
};

}  // namespace

TEST_CASE("one context per TLS setting, shared by every check that uses it") {
  TempDir dir;
  auto [cert, key] = self_signed("Test Root");
  config::TlsOptions a;
  a.ca_file = dir.write("root.pem", cert);
  TlsContexts contexts;
  auto first = contexts.get(a, 0);
  REQUIRE(first.ctx);
  CHECK(first.code == CURLE_OK);
  CHECK(contexts.get(a, 1).ctx == first.ctx);  // the same object, not an equal one

  config::TlsOptions b = a;
  b.min_version = "1.3";
  auto other = contexts.get(b, 2);
  REQUIRE(other.ctx);
  CHECK(other.ctx != first.ctx);
  CHECK(SSL_CTX_get_min_proto_version(other.ctx.get()) == TLS1_3_VERSION);
  config::TlsOptions insecure;
  insecure.insecure_skip_verify = true;
  auto unverified = contexts.get(insecure, 3);
  REQUIRE(unverified.ctx);
  CHECK(SSL_CTX_get_verify_mode(unverified.ctx.get()) == SSL_VERIFY_NONE);
  CHECK(SSL_CTX_get_verify_mode(first.ctx.get()) == SSL_VERIFY_PEER);
  // Never resumed: every check a full handshake.
  CHECK(SSL_CTX_get_session_cache_mode(first.ctx.get()) == SSL_SESS_CACHE_OFF);
  CHECK(contexts.size() == 3);
}

TEST_CASE("a rotated CA file is picked up by the next check") {
  TempDir dir;
  config::TlsOptions tls;
  tls.ca_file = dir.write("root.pem", self_signed("Old Root").first);
  TlsContexts contexts;
  auto before = contexts.get(tls, 0).ctx;
  REQUIRE(before);
  dir.write("root.pem", self_signed("New Root").first + self_signed("Second Root").first);
  auto after = contexts.get(tls, 1).ctx;
  REQUIRE(after);
  CHECK(after != before);
  CHECK(contexts.get(tls, 2).ctx == after);
  CHECK(contexts.size() == 1);
}

TEST_CASE("a CA file or client certificate that cannot be used is refused as curl refuses it") {
  TempDir dir;
  TlsContexts contexts;
  config::TlsOptions missing;
  missing.ca_file = dir.path + "/absent.pem";
  auto refused = contexts.get(missing, 0);
  CHECK_FALSE(refused.ctx);
  CHECK(refused.code == CURLE_SSL_CACERT_BADFILE);
  CHECK(refused.error.find("absent.pem: No such file or directory") != std::string::npos);
  CHECK(contexts.size() == 0);

  config::TlsOptions garbage;
  garbage.cert_file = dir.write("client.pem", "not a certificate");
  auto bad = contexts.get(garbage, 0);
  CHECK_FALSE(bad.ctx);
  CHECK(bad.code == CURLE_SSL_CERTPROBLEM);
  CHECK(bad.error.find("(no start line)") != std::string::npos);  // the cause, not only "PEM lib"

  auto [cert, key] = self_signed("client");
  config::TlsOptions wrong_key;
  wrong_key.cert_file = dir.write("client2.pem", cert);
  wrong_key.key_file = dir.write("other-key.pem", self_signed("other").second);
  CHECK(contexts.get(wrong_key, 0).code == CURLE_SSL_CERTPROBLEM);

  config::TlsOptions good;
  good.cert_file = dir.write("client3.pem", cert + key);  // the key in the certificate's file
  CHECK(contexts.get(good, 0).ctx);

  // A file fixed after a refusal is used by the next check.
  dir.write("absent.pem", cert);
  CHECK(contexts.get(missing, 1).ctx);
}

TEST_CASE("a setting no check used for ten minutes is dropped") {
  TlsContexts contexts;
  config::TlsOptions old_setting;
  old_setting.insecure_skip_verify = true;
  config::TlsOptions current;
  current.insecure_skip_verify = true;
  current.max_version = "1.2";
  REQUIRE(contexts.get(old_setting, 0).ctx);
  REQUIRE(contexts.get(current, 0).ctx);
  for (std::uint64_t minute = 1; minute <= 11; ++minute) REQUIRE(contexts.get(current, minute * 60'000).ctx);
  CHECK(contexts.size() == 1);
}

TEST_CASE("TLS version names") {
  CHECK(checks::tls_version_number("1.0") == TLS1_VERSION);
  CHECK(checks::tls_version_number("1.3") == TLS1_3_VERSION);
  CHECK(checks::tls_version_number("1.4") == 0);
}
