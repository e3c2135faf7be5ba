#pragma once
// Records what a TLS handshake showed — the chain the server sent, OpenSSL's verification
// verdict, protocol and cipher — even when verification fails and the handshake is torn down.
// The context's callbacks are installed once (prepare); each connection's SSL points at the
// capture of its own check (attach), so one context serves every check.
#include <string>
#include <vector>

#include "checks/check_result.h"

typedef struct x509_store_ctx_st X509_STORE_CTX;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace prober::checks {

class TlsCapture {
 public:
  TlsCapture() = default;
  TlsCapture(const TlsCapture&) = delete;
  TlsCapture& operator=(const TlsCapture&) = delete;

  // Installs the callbacks on a context: they find each connection's capture through its SSL.
  static void prepare(SSL_CTX* ctx);
  // Makes `ssl`'s handshake report into this object.
  void attach(SSL* ssl);

  const TlsFacts& facts() const noexcept { return facts_; }
  TlsFacts take() noexcept { return std::move(facts_); }
  // The chain the server sent (DER, leaf first), when verification could not find an issuer.
  std::vector<std::string> take_sent_der() noexcept { return std::move(sent_der_); }

 private:
  static int on_verify(X509_STORE_CTX* store, void* unused) noexcept;
  static void on_info(const SSL* ssl, int where, int ret) noexcept;
  static int on_client_certificate(SSL* ssl, X509** certificate, EVP_PKEY** key) noexcept;

  TlsFacts facts_;
  std::vector<std::string> sent_der_;
};

}  // namespace prober::checks
