#pragma once
// A small HTTP/1.1 server on the libuv loop for /metrics and friends. Requests are parsed by
// libhttp-parser; a request over 8 KiB is refused (413). Hostile clients hold nothing for long:
// open connections are bounded, a request not complete (or a kept-alive connection idle) after
// idle_timeout is dropped, and so is an answer of which the client reads nothing for write_timeout.
// HTTP/1.1 keep-alive: one request at a time per connection (a pipelined request gets its
// answer and the connection is closed). HEAD is answered with the headers alone.
// With a web configuration (net/web_security.h) the server speaks TLS, asks for basic auth,
// adds the configured headers and rate-limits, as exporters built on the exporter-toolkit do.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "net/basic_auth.h"
#include "net/http_request_parser.h"
#include "net/http_response.h"
#include "net/listen_address.h"
#include "net/web_security.h"

namespace prober::net {

struct HttpServerLimits {
  std::size_t max_connections = 256;       // beyond: accepted and closed at once
  std::uint64_t idle_timeout_ms = 10000;   // a request not complete by then, or a kept-alive connection idle
  std::uint64_t write_timeout_ms = 30000;  // no byte of an answer taken for this long: dropped
};

class HttpServer {
 public:
  using Respond = std::function<void(HttpResponse)>;  // safe to call after the client left
  using Handler = std::function<void(const HttpRequest&, Respond)>;
  // The web configuration in force; asked at each new connection and request.
  using Security = std::function<std::shared_ptr<const EndpointSecurity>()>;

  static std::variant<std::unique_ptr<HttpServer>, std::string> listen(uv_loop_t* loop, const std::string& address,
                                                                       Handler handler, HttpServerLimits limits = {},
                                                                       Security security = nullptr);
  HttpServer(uv_loop_t* loop, Handler handler, HttpServerLimits limits, Security security);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  int port() const { return port_; }
  static constexpr std::size_t kMaxRequestBytes = HttpRequestParser::kMaxRequestBytes;
  std::uint64_t refused_connections() const { return refused_connections_; }
  std::size_t open_connections() const { return connections_.size(); }
  std::uint64_t tls_failures() const { return tls_failures_; }           // handshakes refused or broken
  std::uint64_t unauthorized_requests() const { return unauthorized_; }  // answered 401

 private:
  struct Connection;
  static void on_connection(uv_stream_t* server, int status) noexcept;
  static void on_alloc(uv_handle_t* handle, size_t size, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) noexcept;
  void consume(Connection* conn, std::string_view bytes);  // the client's bytes, in order
  void on_idle(Connection* conn) noexcept;
  void on_request(Connection* conn);
  bool take_token(const EndpointSecurity& security);
  void respond(std::uint64_t id, HttpResponse response);
  // kNextPiece: encrypt and write the next part of a TLS answer (send_encrypted).
  enum class AfterWrite { kNothing, kResume, kDrop, kNextPiece };
  // kDone: written to the socket at once, and `after` is the caller's to do; kQueued: libuv
  // writes the rest and does `after`; kFailed: the connection is to be dropped.
  enum class Sent { kDone, kQueued, kFailed };
  Sent write(Connection* conn, std::string bytes, AfterWrite after, bool at_once = true);
  Sent write(Connection* conn, std::vector<std::string> parts, AfterWrite after, bool at_once);
  void sent(Connection* conn, Sent how, AfterWrite after);
  void send_encrypted(Connection* conn, bool at_once);
  void drop(std::uint64_t id);
  void resume(std::uint64_t id);  // a kept-alive connection waits for its next request

  uv_loop_t* loop_;
  Handler handler_;
  HttpServerLimits limits_;
  Security security_;
  BasicAuthVerifier auth_;
  double tokens_ = -1;  // rate_limit's bucket; -1: not filled yet
  std::uint64_t tokens_at_ = 0;
  std::uint64_t refused_connections_ = 0;
  std::uint64_t tls_failures_ = 0;
  std::uint64_t unauthorized_ = 0;
  struct Listener;
  std::unique_ptr<Listener> listener_;
  int port_ = 0;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace prober::net
