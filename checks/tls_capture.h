#pragma once
// Records what a TLS handshake showed — the chain the server sent, OpenSSL's verification
// verdict, protocol and cipher — even when verification fails and curl tears the connection
// down. Installed through CURLOPT_SSL_CTX_FUNCTION on the SSL_CTX curl makes for a connection.
#include <curl/curl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "checks/check_result.h"

typedef struct x509_store_ctx_st X509_STORE_CTX;
typedef struct ssl_st SSL;
typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace prober::checks {

class TlsCapture {
 public:
  TlsCapture() = default;
  TlsCapture(const TlsCapture&) = delete;
  TlsCapture& operator=(const TlsCapture&) = delete;

  // Arms `easy` so its next TLS handshake reports into this object.
  void attach(CURL* easy);

  const TlsFacts& facts() const noexcept { return facts_; }
  TlsFacts take() noexcept { return std::move(facts_); }
  // The chain the server sent (DER, leaf first), when verification could not find an issuer.
  std::vector<std::string> take_sent_der() noexcept { return std::move(sent_der_); }
  bool handshake_done() const noexcept { return handshake_done_; }
  // The ClientHello went out: the TCP connection is up even if curl has not said so yet.
  bool handshake_started() const noexcept { return handshake_started_; }
  // uv_hrtime() when curl built this connection's SSL_CTX: curl does that once TCP is up.
  std::uint64_t ctx_created_ns() const noexcept { return ctx_created_ns_; }

 private:
  static CURLcode on_ssl_ctx(CURL* easy, void* ssl_ctx, void* self) noexcept;
  static int on_verify(X509_STORE_CTX* store, void* self) noexcept;
  static void on_info(const SSL* ssl, int where, int ret) noexcept;
  static int on_client_certificate(SSL* ssl, X509** certificate, EVP_PKEY** key) noexcept;

  TlsFacts facts_;
  std::vector<std::string> sent_der_;
  bool handshake_done_ = false;
  bool handshake_started_ = false;
  std::uint64_t ctx_created_ns_ = 0;
};

}  // namespace prober::checks
