#include "checks/tls_capture.h"

#include <openssl/obj_mac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace prober::checks {
namespace {

int capture_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

TlsCapture* capture_of(const SSL* ssl) {
  return ssl ? static_cast<TlsCapture*>(SSL_get_ex_data(ssl, capture_index())) : nullptr;
}

std::vector<CertInfo> describe(STACK_OF(X509) * certs) {
  std::vector<CertInfo> out;
  for (int i = 0; certs && i < sk_X509_num(certs); ++i) out.push_back(cert_info_cached(sk_X509_value(certs, i)));
  return out;
}

}  // namespace

void TlsCapture::prepare(SSL_CTX* ctx) {
  // Our callback runs OpenSSL's own verification, so every verdict stays OpenSSL's; it only
  // looks at the chain first. Whether a failed verification ends the handshake is the
  // context's verify mode.
  SSL_CTX_set_cert_verify_callback(ctx, &TlsCapture::on_verify, nullptr);
  // OpenSSL asks this only when the server requested a certificate and none is configured.
  SSL_CTX_set_client_cert_cb(ctx, &TlsCapture::on_client_certificate);
}

void TlsCapture::attach(SSL* ssl) {
  SSL_set_ex_data(ssl, capture_index(), this);
  SSL_set_info_callback(ssl, &TlsCapture::on_info);
}

int TlsCapture::on_verify(X509_STORE_CTX* store, void*) noexcept {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  TlsCapture* capture = capture_of(ssl);
  if (!capture) return X509_verify_cert(store);
  // The untrusted stack is exactly what the server sent, leaf first.
  capture->facts_.chain = describe(X509_STORE_CTX_get0_untrusted(store));
  if (capture->facts_.chain.empty()) {
    if (X509* leaf = X509_STORE_CTX_get0_cert(store)) capture->facts_.chain.push_back(cert_info_cached(leaf));
  }
  int ok = X509_verify_cert(store);
  int error = X509_STORE_CTX_get_error(store);
  if (ok != 1 &&
      (error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE ||
       error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)) {
    // Kept for an AIA fetch (aia_fetch.h), which must verify this very chain again.
    capture->sent_der_.clear();
    STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store);
    X509* leaf = X509_STORE_CTX_get0_cert(store);
    auto keep = [capture](X509* cert) {
      unsigned char* der = nullptr;
      int length = i2d_X509(cert, &der);
      if (length <= 0) return;
      capture->sent_der_.emplace_back(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
      OPENSSL_free(der);
    };
    try {
      if (leaf) keep(leaf);
      for (int i = 0; sent && i < sk_X509_num(sent); ++i) {
        if (sk_X509_value(sent, i) != leaf) keep(sk_X509_value(sent, i));
      }
    } catch (...) {
      capture->sent_der_.clear();  // no AIA fetch then: the classification falls back to the chain's shape
    }
  }
  capture->facts_.verify_result = ok == 1 ? X509_V_OK : error;
  if (ok != 1) capture->facts_.verify_error = X509_verify_cert_error_string(error);
  capture->facts_.verified_chain = describe(X509_STORE_CTX_get0_chain(store));
  return ok;
}

int TlsCapture::on_client_certificate(SSL* ssl, X509**, EVP_PKEY**) noexcept {
  if (TlsCapture* capture = capture_of(ssl)) capture->facts_.client_certificate_requested = true;
  return 0;  // none: the handshake goes on without one, as a browser without one would
}

void TlsCapture::on_info(const SSL* ssl, int where, int) noexcept {
  if (!(where & SSL_CB_HANDSHAKE_DONE)) return;
  TlsCapture* capture = capture_of(ssl);
  if (!capture) return;
  capture->facts_.version = SSL_get_version(ssl);
  if (const char* cipher = SSL_get_cipher_name(ssl)) capture->facts_.cipher = cipher;
  // OpenSSL 3.0's getters take a non-const SSL; they only read it.
  auto* mutable_ssl = const_cast<SSL*>(ssl);
  if (int group = SSL_get_negotiated_group(mutable_ssl); group != 0) {
    if (const char* name = SSL_group_to_name(mutable_ssl, group)) capture->facts_.group = name;
  }
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    int kx = SSL_CIPHER_get_kx_nid(cipher);
    capture->facts_.forward_secrecy = kx != NID_kx_rsa && kx != NID_kx_psk && kx != NID_kx_rsa_psk;
    capture->facts_.aead = SSL_CIPHER_is_aead(cipher) != 0;
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  if (alpn_length > 0) capture->facts_.alpn = std::string(reinterpret_cast<const char*>(alpn), alpn_length);
}

}  // namespace prober::checks
