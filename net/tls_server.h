#pragma once
// TLS for the agent's own endpoint: one SSL_CTX per web configuration (TlsServerContext), and a
// session per connection speaking through memory BIOs (TlsServerSession), so the TLS bytes travel
// over the same libuv stream as plain HTTP would. The server chooses "http/1.1" by ALPN.
#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/web_config.h"
#include "io/openssl_handles.h"

namespace prober::net {

class TlsServerContext {
 public:
  // Reads the certificate, key and client CA (files or inline) now; errors as the
  // exporter-toolkit words them ("failed to read cert_file (...)", "unknown cipher: ...").
  static std::variant<std::shared_ptr<const TlsServerContext>, std::string> make(const config::WebTlsConfig& tls);

  SSL_CTX* get() const { return ctx_.get(); }
  // client_allowed_sans: a client certificate must carry one of these (DNS, e-mail, IP or URI SAN).
  const std::optional<std::vector<std::string>>& allowed_sans() const { return allowed_sans_; }

 private:
  io::SslCtxPtr ctx_;
  std::optional<std::vector<std::string>> allowed_sans_;
};

class TlsServerSession {
 public:
  explicit TlsServerSession(std::shared_ptr<const TlsServerContext> context);

  enum class Status { kOk, kClosed, kFailed, kPlainHttp };
  // Takes bytes read from the client. Decrypted request bytes are appended to `plain`, TLS bytes
  // to send back (handshake, alerts) to `wire`. kFailed: the handshake or a record was refused
  // (error() says why); kPlainHttp: the client spoke plain HTTP to the TLS port.
  Status receive(std::string_view bytes, std::string& plain, std::string& wire);
  // Encrypts an answer into `wire`.
  bool send(std::string_view plain, std::string& wire);
  const std::string& error() const { return error_; }

 private:
  bool peer_allowed();
  void drain(std::string& wire);

  std::shared_ptr<const TlsServerContext> context_;
  io::SslPtr ssl_;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  bool checked_peer_ = false;
  std::string error_;
};

}  // namespace prober::net
