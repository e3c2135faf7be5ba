// The library context the checks' TLS runs in: on OpenSSL 3.0 a lean one that offers only the
// decoders of a certificate's public key. Every key type a server certificate may carry must
// still parse and verify in it, exactly as in OpenSSL's default context.
#include <doctest/doctest.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <string>

#include "checks/tls_library.h"
#include "io/openssl_handles.h"

using namespace prober;
using io::CHandle;

namespace {

// A self-signed certificate for `key`, DER-encoded, made in the default context.
std::string self_signed_der(EVP_PKEY* key, const EVP_MD* digest) {
  io::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("lean.test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key);
  REQUIRE(X509_sign(cert.get(), key, digest) > 0);
  unsigned char* der = nullptr;
  int length = i2d_X509(cert.get(), &der);
  REQUIRE(length > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

io::EvpPkeyPtr rsa_pss_key() {
  CHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &key) != 1)
    return io::EvpPkeyPtr();
  return io::EvpPkeyPtr(key);
}

io::X509Ptr parse(const std::string& der, OSSL_LIB_CTX* library) {
  io::X509Ptr cert(X509_new_ex(library, nullptr));
  X509* into = cert.get();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  if (!d2i_X509(&into, &p, static_cast<long>(der.size()))) return io::X509Ptr();
  return cert;
}

}  // namespace

TEST_CASE("the lean library on OpenSSL 3.0 only") {
  bool before_decoder_cache = OpenSSL_version_num() < 0x30100000L;
  CHECK((checks::tls_check_library() != nullptr) == before_decoder_cache);
  CHECK(checks::tls_check_library() == checks::tls_check_library());  // made once
}

TEST_CASE("every server key type parses and verifies in the checks' library as in the default one") {
  struct Kind {
    const char* name;
    io::EvpPkeyPtr key;
    const EVP_MD* digest;
  };
  Kind kinds[] = {
      {"RSA", io::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})), EVP_sha256()},
      {"RSA-PSS", rsa_pss_key(), EVP_sha256()},
      {"EC P-256", io::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")), EVP_sha256()},
      {"EC P-384", io::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")), EVP_sha384()},
      {"ED25519", io::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")), nullptr},
      {"ED448", io::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448")), nullptr},
  };
  OSSL_LIB_CTX* library = checks::tls_check_library();
  for (auto& kind : kinds) {
    std::string name = kind.name;
    CAPTURE(name);
    REQUIRE(kind.key);
    std::string der = self_signed_der(kind.key.get(), kind.digest);
    io::X509Ptr lean = parse(der, library);
    io::X509Ptr standard = parse(der, nullptr);
    REQUIRE(lean);
    REQUIRE(standard);
    EVP_PKEY* lean_key = X509_get0_pubkey(lean.get());
    REQUIRE(lean_key != nullptr);
    CHECK(EVP_PKEY_get_base_id(lean_key) == EVP_PKEY_get_base_id(X509_get0_pubkey(standard.get())));
    CHECK(EVP_PKEY_get_bits(lean_key) == EVP_PKEY_get_bits(X509_get0_pubkey(standard.get())));
    CHECK(EVP_PKEY_eq(lean_key, kind.key.get()) == 1);
    CHECK(X509_verify(lean.get(), lean_key) == 1);

    // A signature that does not match is refused there too.
    std::string tampered = der;
    tampered[tampered.size() - 3] ^= 0x01;
    io::X509Ptr bad = parse(tampered, library);
    if (bad) CHECK(X509_verify(bad.get(), X509_get0_pubkey(bad.get())) != 1);
  }
}
