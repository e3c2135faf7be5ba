#include "net/tls_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "io/socket_address.h"

namespace prober::net {
namespace {

using Bio = io::BioPtr;
using Cert = io::X509Ptr;

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// A file's text, or why it cannot be had, in Go's words ("open PATH: no such file or directory").
std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "open " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::string> pem_text(const std::string& file, const std::string& inline_text, const char* key,
                                    std::string& error) {
  if (file.empty()) return inline_text;
  std::string why;
  auto text = read_file(file, why);
  if (!text) error = std::string("failed to read ") + key + " (" + file + "): " + why;
  return text;
}

std::vector<Cert> certificates(const std::string& pem) {
  std::vector<Cert> out;
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(cert);
  ERR_clear_error();  // the end of the input reads as an error
  return out;
}

std::optional<std::string> load_key_pair(SSL_CTX* ctx, const config::WebTlsConfig& tls) {
  std::string error;
  auto cert_pem = pem_text(tls.cert_file, tls.cert, "cert_file", error);
  if (!cert_pem) return error;
  auto key_pem = pem_text(tls.key_file, tls.key, "key_file", error);
  if (!key_pem) return error;
  auto chain = certificates(*cert_pem);
  if (chain.empty()) return "failed to load X509KeyPair: tls: failed to find any PEM data in certificate input";
  Bio key_bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  io::EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return "failed to load X509KeyPair: tls: failed to find any PEM data in key input";
  }
  if (SSL_CTX_use_certificate(ctx, chain[0].get()) != 1) return "failed to load X509KeyPair: " + openssl_error();
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1) return "failed to load X509KeyPair: " + openssl_error();
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return "failed to load X509KeyPair: tls: private key does not match public key";
  }
  return std::nullopt;
}

std::optional<std::string> load_client_cas(SSL_CTX* ctx, const config::WebTlsConfig& tls) {
  if (tls.client_ca_file.empty() && tls.client_ca.empty()) return std::nullopt;
  std::string pem = tls.client_ca;
  if (!tls.client_ca_file.empty()) {
    std::string error;
    auto text = read_file(tls.client_ca_file, error);
    if (!text) return error;
    pem = *text;
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const auto& cert : certificates(pem)) {
    X509_STORE_add_cert(store, cert.get());
    SSL_CTX_add_client_CA(ctx, cert.get());  // named in the CertificateRequest
  }
  ERR_clear_error();
  return std::nullopt;
}

// cipher_suites in Go's (IANA) names. Go does not let TLS 1.3 suites be chosen and neither do we:
// they are accepted and left as OpenSSL has them.
std::optional<std::string> set_ciphers(SSL_CTX* ctx, const std::vector<std::string>& names) {
  if (names.empty()) return std::nullopt;
  std::string list;
  for (const auto& name : names) {
    if (name == "TLS_AES_128_GCM_SHA256" || name == "TLS_AES_256_GCM_SHA384" ||
        name == "TLS_CHACHA20_POLY1305_SHA256") {
      continue;
    }
    std::string openssl_name = OPENSSL_cipher_name(name.c_str());
    if (openssl_name == "(NONE)") return "unknown cipher: " + name;
    list += (list.empty() ? "" : ":") + openssl_name;
  }
  if (!list.empty() && SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) return "cipher_suites: " + openssl_error();
  return std::nullopt;
}

std::optional<std::string> set_curves(SSL_CTX* ctx, const std::vector<std::string>& names) {
  if (names.empty()) return std::nullopt;
  std::string list;
  for (const auto& name : names) {
    std::string group = name == "CurveP256"   ? "P-256"
                        : name == "CurveP384" ? "P-384"
                        : name == "CurveP521" ? "P-521"
                                              : name;
    list += (list.empty() ? "" : ":") + group;
  }
  if (SSL_CTX_set1_groups_list(ctx, list.c_str()) != 1) return "curve_preferences: " + openssl_error();
  return std::nullopt;
}

int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

void set_client_auth(SSL_CTX* ctx, const std::string& type) {
  if (type == "RequestClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_certificate);
  } else if (type == "RequireAnyClientCert" || type == "RequireClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
  } else if (type == "VerifyClientCertIfGiven") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else if (type == "RequireAndVerifyClientCert") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
}

int select_http1(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                 unsigned int offered_length, void*) {
  static const unsigned char kHttp1[] = "\x08http/1.1";
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, kHttp1, sizeof kHttp1 - 1, offered, offered_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // no ALPN in the answer: the client falls back to HTTP/1.1
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::vector<std::string> subject_alt_names(X509* cert) {
  std::vector<std::string> out;
  io::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS || name->type == GEN_EMAIL || name->type == GEN_URI) {
      const ASN1_STRING* s = name->d.ia5;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      int family = ASN1_STRING_length(ip) == 4 ? AF_INET : ASN1_STRING_length(ip) == 16 ? AF_INET6 : 0;
      if (family) out.push_back(io::address_text(family, ASN1_STRING_get0_data(ip)));
    }
  }
  return out;
}

}  // namespace

std::variant<std::shared_ptr<const TlsServerContext>, std::string> TlsServerContext::make(
    const config::WebTlsConfig& tls) {
  auto context = std::make_shared<TlsServerContext>();
  context->ctx_.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ctx = context->ctx_.get();
  if (!ctx) return "cannot create a TLS context: " + openssl_error();
  SSL_CTX_set_min_proto_version(ctx, tls.min_version);
  SSL_CTX_set_max_proto_version(ctx, tls.max_version);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);  // an idle kept-alive connection holds no record buffers
  if (tls.prefer_server_cipher_suites) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Sessions cached with a verified client certificate may be resumed only in this context.
  static const unsigned char kSessionContext[] = "prober-endpoint";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_alpn_select_cb(ctx, select_http1, nullptr);
  if (auto e = load_key_pair(ctx, tls)) return *e;
  if (auto e = set_ciphers(ctx, tls.cipher_suites)) return *e;
  if (auto e = set_curves(ctx, tls.curve_preferences)) return *e;
  if (auto e = load_client_cas(ctx, tls)) return *e;
  set_client_auth(ctx, tls.client_auth_type);
  context->allowed_sans_ = tls.client_allowed_sans;
  return std::shared_ptr<const TlsServerContext>(std::move(context));
}

TlsServerSession::TlsServerSession(std::shared_ptr<const TlsServerContext> context)
    : context_(std::move(context)), ssl_(SSL_new(context_->get())) {
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_.get(), in_, out_);
  SSL_set_accept_state(ssl_.get());
}

void TlsServerSession::drain(std::string& wire) {
  char* data = nullptr;
  long n = BIO_get_mem_data(out_, &data);
  if (n > 0) wire.append(data, static_cast<std::size_t>(n));
  (void)BIO_reset(out_);
}

bool TlsServerSession::peer_allowed() {
  const auto& allowed = context_->allowed_sans();
  if (!allowed) return true;
  Cert peer(SSL_get1_peer_certificate(ssl_.get()));
  if (!peer) {
    error_ = "client_allowed_sans is set and the client sent no certificate";
    return false;
  }
  for (const auto& san : subject_alt_names(peer.get())) {
    if (std::find(allowed->begin(), allowed->end(), san) != allowed->end()) return true;
  }
  error_ = "could not find allowed SANs in client cert";
  return false;
}

TlsServerSession::Status TlsServerSession::receive(std::string_view bytes, std::string& plain, std::string& wire) {
  ERR_clear_error();  // the queue is per thread: the checks' TLS may have left something in it
  if (!bytes.empty()) BIO_write(in_, bytes.data(), static_cast<int>(bytes.size()));
  SSL* ssl = ssl_.get();
  if (!SSL_is_init_finished(ssl)) {
    int rc = SSL_do_handshake(ssl);
    if (rc != 1) {
      int e = SSL_get_error(ssl, rc);
      drain(wire);  // what is due: the next flight, or the alert that ends the handshake
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Status::kOk;
      if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST) {
        ERR_clear_error();
        return Status::kPlainHttp;
      }
      error_ = "TLS handshake: " + openssl_error();
      return Status::kFailed;
    }
  }
  if (!checked_peer_) {
    checked_peer_ = true;
    if (!peer_allowed()) return Status::kFailed;
  }
  char buffer[16384];
  for (;;) {
    int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n > 0) {
      plain.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    int e = SSL_get_error(ssl, n);
    drain(wire);
    if (e == SSL_ERROR_WANT_READ) return Status::kOk;
    if (e == SSL_ERROR_ZERO_RETURN) return Status::kClosed;
    error_ = "TLS: " + openssl_error();
    return Status::kFailed;
  }
}

bool TlsServerSession::send(std::string_view plain, std::string& wire) {
  ERR_clear_error();
  if (!plain.empty() && SSL_write(ssl_.get(), plain.data(), static_cast<int>(plain.size())) <= 0) {
    error_ = "TLS: " + openssl_error();
    return false;
  }
  drain(wire);
  return true;
}

}  // namespace prober::net
