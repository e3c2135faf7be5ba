#include "net/http_server.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "config/units.h"
#include "io/unread_bytes.h"
#include "io/uv_handle.h"
#include "io/uv_timer.h"

namespace prober::net {

// Bytes on their way out (an answer, or TLS handshake records). libuv owns them from uv_write
// until the callback, which frees them: they must outlive the connection if the server shuts
// down mid-write.
struct PendingWrite {
  uv_write_t req{};
  std::vector<std::string> parts;  // sent in order, the first from `offset`
  std::size_t offset = 0;
  std::function<void(int status)> done;
};

namespace {

std::vector<uv_buf_t> buffers(std::vector<std::string>& parts, std::size_t offset) {
  std::vector<uv_buf_t> bufs;
  bufs.reserve(parts.size());
  for (auto& part : parts) {
    bufs.push_back(uv_buf_init(part.data() + offset, static_cast<unsigned>(part.size() - offset)));
    offset = 0;
  }
  return bufs;
}

}  // namespace

struct HttpServer::Listener {
  io::UvHandle<uv_tcp_t> tcp;
};

struct HttpServer::Connection {
  Connection(HttpServer* owner, uv_loop_t* loop) : server(owner), timeout(loop, [this] { server->on_idle(this); }) {}
  HttpServer* server;
  std::uint64_t id = 0;
  io::UvHandle<uv_tcp_t> tcp;
  io::UvTimer timeout;  // idle_timeout_ms for a request, write_timeout_ms while answering
  HttpRequestParser parser;
  std::shared_ptr<const EndpointSecurity> security;  // as it was when the connection came
  std::unique_ptr<net::TlsServerSession> tls;
  char buffer[4096];
  bool answered = false;
  bool writing = false;      // an answer is on its way out
  std::size_t unsent = 0;    // of it, bytes still queued at the last look
  bool busy = false;         // a request is being answered: bytes that come meanwhile wait in `held`
  bool reading = true;       // libuv reads the socket (stopped when `held` is full, or at end of file)
  bool peer_closed = false;  // the client closed its side after its request: answered, then dropped
  std::string held;          // what the client sent while its request was being answered
  // A TLS answer, head and body, not yet encrypted (send_encrypted), and what to do once it is out.
  std::vector<std::string> unencrypted;
  std::size_t encrypted = 0;
  AfterWrite after_all = AfterWrite::kNothing;
};

HttpServer::HttpServer(uv_loop_t* loop, Handler handler, HttpServerLimits limits, Security security)
    : loop_(loop), handler_(std::move(handler)), limits_(limits), security_(std::move(security)), auth_(loop) {}

HttpServer::~HttpServer() {
  *alive_ = false;
  connections_.clear();
}

std::variant<std::unique_ptr<HttpServer>, std::string> HttpServer::listen(uv_loop_t* loop, const std::string& address,
                                                                          Handler handler, HttpServerLimits limits,
                                                                          Security security) {
  auto parsed = parse_listen_address(address);
  if (auto* error = std::get_if<std::string>(&parsed)) return *error;
  const sockaddr_storage addr = std::get<sockaddr_storage>(parsed);
  auto server = std::make_unique<HttpServer>(loop, std::move(handler), limits, std::move(security));
  server->listener_ = std::make_unique<Listener>();
  uv_tcp_t* tcp = server->listener_->tcp.get();
  uv_tcp_init(loop, tcp);
  tcp->data = server.get();
  int rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp), 128, &HttpServer::on_connection);
  if (rc != 0) return "cannot listen on " + address + ": " + uv_strerror(rc);
  sockaddr_storage bound{};
  int length = sizeof bound;
  uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &length);
  server->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                    : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return server;
}

void HttpServer::on_connection(uv_stream_t* listener, int status) noexcept {
  auto* self = static_cast<HttpServer*>(listener->data);
  if (!self || status < 0) return;
  auto c = std::make_unique<Connection>(self, self->loop_);
  c->id = self->next_id_++;
  uv_tcp_init(self->loop_, c->tcp.get());
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(c->tcp.get())) != 0) return;
  if (self->connections_.size() >= self->limits_.max_connections) {
    ++self->refused_connections_;  // accepted only to be closed: the backlog stays free for the next
    return;
  }
  c->tcp.get()->data = c.get();
  if (self->security_) {
    c->security = self->security_();
    if (c->security->tls) {
      c->tls = std::make_unique<net::TlsServerSession>(c->security->tls);
    } else if (c->security->refuse_connections) {
      ++self->tls_failures_;  // a TLS endpoint with no usable configuration: no handshake can be had
      return;
    }
  }
  // The kernel would buffer megabytes of an answer for a client that does not read (Linux grows
  // the send buffer to 4 MiB): a fixed 128 KiB (the kernel doubles it) bounds what a hostile
  // client can pin per connection, and write_timeout ends the rest.
  int send_buffer = 128 * 1024;
  uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(c->tcp.get()), &send_buffer);
  // A client that never finishes its request is dropped; it cannot hold anything else up.
  c->timeout.start(self->limits_.idle_timeout_ms);
  uv_read_start(reinterpret_cast<uv_stream_t*>(c->tcp.get()), &HttpServer::on_alloc, &HttpServer::on_read);
  self->connections_[c->id] = std::move(c);
}

void HttpServer::on_idle(Connection* conn) noexcept {
  if (conn->writing) {
    // A large answer to a busy agent or a slow link may take long: only a client that took
    // nothing since the last look is dropped.
    std::size_t unsent = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(conn->tcp.get()));
    if (unsent < conn->unsent) {
      conn->unsent = unsent;
      conn->timeout.start(limits_.write_timeout_ms);
      return;
    }
  } else if (io::unread_bytes(conn->tcp.base()) > 0) {
    // libuv runs timers before polling: after the loop was busy for longer than idle_timeout,
    // a request that arrived in time is still unread. Read it rather than drop its client.
    conn->timeout.start(limits_.idle_timeout_ms);
    return;
  }
  drop(conn->id);
}

void HttpServer::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* conn = static_cast<Connection*>(h->data);
  *buf = uv_buf_init(conn->buffer, sizeof conn->buffer);
}

void HttpServer::on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) noexcept {
  auto* conn = static_cast<Connection*>(stream->data);
  if (!conn) return;
  HttpServer* server = conn->server;
  if (n < 0) {
    // A client may close its side once its request is sent: it still gets the answer.
    if (n == UV_EOF && conn->busy) {
      conn->peer_closed = true;
      conn->reading = false;  // libuv stopped at the end of file
      return;
    }
    server->drop(conn->id);
    return;
  }
  if (n == 0) return;
  std::string_view bytes(buf->base, static_cast<std::size_t>(n));
  if (conn->busy) {
    // Reading goes on while a request is answered (stopping and starting again costs two
    // epoll_ctl calls a request); what comes meanwhile is read once the answer is out.
    conn->held.append(bytes);
    if (conn->held.size() >= kMaxRequestBytes) {
      uv_read_stop(stream);  // the rest waits in the kernel
      conn->reading = false;
    }
    return;
  }
  server->consume(conn, bytes);
}

void HttpServer::consume(Connection* conn, std::string_view bytes) {
  std::string plain;
  if (conn->tls) {
    std::string wire;
    auto status = conn->tls->receive(bytes, plain, wire);
    if (status == net::TlsServerSession::Status::kPlainHttp) {
      ++tls_failures_;    // Go's net/http answers the same
      conn->busy = true;  // nothing more is read: the connection ends with this
      if (write(conn, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n",
                AfterWrite::kDrop) != Sent::kQueued) {
        drop(conn->id);
      }
      return;
    }
    if (status != net::TlsServerSession::Status::kOk) {
      if (status == net::TlsServerSession::Status::kFailed) ++tls_failures_;
      conn->busy = true;
      if (wire.empty() || write(conn, std::move(wire), AfterWrite::kDrop) != Sent::kQueued) {
        drop(conn->id);
      }
      return;
    }
    if (!wire.empty() && write(conn, std::move(wire), AfterWrite::kNothing) == Sent::kFailed) {
      drop(conn->id);
      return;
    }
    if (plain.empty()) return;
    bytes = plain;
  }
  switch (conn->parser.feed(bytes.data(), bytes.size())) {
    case HttpRequestParser::State::kNeedMore:
      return;
    case HttpRequestParser::State::kTooLarge:
      respond(conn->id, HttpResponse{413, "text/plain; charset=utf-8", "request too large\n"});
      return;
    case HttpRequestParser::State::kBad:
      respond(conn->id, HttpResponse{400, "text/plain; charset=utf-8", "bad request: " + conn->parser.error() + "\n"});
      return;
    case HttpRequestParser::State::kComplete:
      break;
  }
  if (conn->answered) return;  // bytes after an answered request
  conn->busy = true;
  conn->timeout.stop();
  on_request(conn);
}

// A complete request: the web configuration's rate limit and basic auth, then the handler.
void HttpServer::on_request(Connection* conn) {
  std::uint64_t id = conn->id;
  std::weak_ptr<bool> alive = alive_;
  auto call_handler = [this, id, alive]() {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    try {
      handler_(it->second->parser.request(), [this, id, alive](HttpResponse response) {
        if (auto a = alive.lock(); a && *a) respond(id, std::move(response));
      });
    } catch (...) {
      respond(id, HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"});
    }
  };
  if (!security_) return call_handler();
  conn->security = security_();  // users, headers and limits as the file says now
  const EndpointSecurity& security = *conn->security;
  if (!security.error.empty())
    return respond(id, HttpResponse{500, "text/plain; charset=utf-8", "Internal Server Error\n"});
  if (!take_token(security)) return respond(id, HttpResponse{429, "text/plain; charset=utf-8", "Too Many Requests\n"});
  if (security.users.empty()) return call_handler();
  auto unauthorized = [this, id]() {
    ++unauthorized_;
    respond(id, HttpResponse{401, "text/plain; charset=utf-8", "Unauthorized\n", {{"WWW-Authenticate", "Basic"}}});
  };
  const auto& headers = conn->parser.request().headers;
  auto header = headers.find("authorization");
  auto credentials = header == headers.end() ? std::nullopt : parse_basic_authorization(header->second);
  if (!credentials) return unauthorized();
  auth_.verify(security.users, *credentials, [alive, call_handler, unauthorized](bool allowed) {
    if (auto a = alive.lock(); !a || !*a) return;
    allowed ? call_handler() : unauthorized();
  });
}

// Go's rate.Limiter as the exporter-toolkit sets it up: one request per interval on average,
// `burst` at once (a burst of 0 lets nothing through).
bool HttpServer::take_token(const EndpointSecurity& security) {
  if (security.rate_limit_interval.count() <= 0) return true;
  std::uint64_t now = uv_now(loop_);
  double burst = security.rate_limit_burst;
  if (tokens_ < 0) tokens_ = burst;
  tokens_ = std::min(burst, tokens_ + static_cast<double>(now - tokens_at_) /
                                          static_cast<double>(security.rate_limit_interval.count()));
  tokens_at_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void HttpServer::respond(std::uint64_t id, HttpResponse response) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;  // the client is gone
  Connection* c = it->second.get();
  if (c->answered) return;
  c->answered = true;
  c->busy = true;  // (already, unless the request was refused before it was whole)
  // A client that takes none of the answer for write_timeout is dropped, and the answer's
  // memory with it.
  c->timeout.start(limits_.write_timeout_ms);
  // Keep the connection for the next request when the client asked for it (HTTP/1.1 default)
  // and sent nothing more; /probe scrapes then cost no TCP set-up each.
  bool keep = c->parser.state() == HttpRequestParser::State::kComplete && c->parser.keep_alive() &&
              !c->parser.pipelined() && !c->peer_closed;
  bool head = c->parser.state() == HttpRequestParser::State::kComplete && c->parser.request().method == "HEAD";
  if (c->security)
    response.headers.insert(response.headers.end(), c->security->headers.begin(), c->security->headers.end());
  std::vector<std::string> parts;  // the head, then the body
  parts.reserve(head ? 1 : 2 + response.body_pieces.size());
  parts.push_back(serialize_head(response, keep));
  if (!head) {
    parts.push_back(std::move(response.body));
    for (auto& piece : response.body_pieces) parts.push_back(std::move(piece));
  }
  AfterWrite after = keep ? AfterWrite::kResume : AfterWrite::kDrop;
  if (c->tls) {
    c->unencrypted = std::move(parts);
    c->encrypted = 0;
    c->after_all = after;
    return send_encrypted(c, c->held.empty());
  }
  // With the next request already here, the answer goes through libuv's queue, and the next
  // one is read from its callback, not from inside this call.
  sent(c, write(c, std::move(parts), after, c->held.empty()), after);
}

// After write(): does `after` for an answer written at once, or notes that one is on its way.
void HttpServer::sent(Connection* c, Sent how, AfterWrite after) {
  switch (how) {
    case Sent::kFailed:
      return drop(c->id);
    case Sent::kDone:
      return after == AfterWrite::kResume ? resume(c->id) : drop(c->id);
    case Sent::kQueued:
      c->writing = true;
      c->unsent = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(c->tcp.get()));
  }
}

// A TLS answer is encrypted about 1 MiB at a time, the next part once the last is written:
// encrypting a 300 MB /metrics answer at once held the loop for as long.
void HttpServer::send_encrypted(Connection* c, bool at_once) {
  constexpr std::size_t kBatchBytes = 1 << 20;
  while (true) {
    std::string wire;
    while (c->encrypted < c->unencrypted.size() && wire.size() < kBatchBytes) {
      if (!c->tls->send(c->unencrypted[c->encrypted], wire)) return drop(c->id);
      std::string().swap(c->unencrypted[c->encrypted++]);
    }
    bool last = c->encrypted == c->unencrypted.size();
    if (last) c->unencrypted.clear();
    AfterWrite after = last ? c->after_all : AfterWrite::kNextPiece;
    Sent how = write(c, std::move(wire), after, at_once);
    if (how != Sent::kDone || last) return sent(c, how, after);  // else the socket took it all: on
  }
}

HttpServer::Sent HttpServer::write(Connection* c, std::string bytes, AfterWrite after, bool at_once) {
  std::vector<std::string> parts;
  parts.push_back(std::move(bytes));
  return write(c, std::move(parts), after, at_once);
}

// Writes the parts in order on the connection: at once when the socket takes them all (most
// answers: no write request, and no extra turn of the loop for its callback), else through
// libuv's queue. What the socket took at once is skipped by an offset, never erased: erasing the
// front of a 300 MB answer moves the rest.
HttpServer::Sent HttpServer::write(Connection* c, std::vector<std::string> parts, AfterWrite after, bool at_once) {
  auto* stream = reinterpret_cast<uv_stream_t*>(c->tcp.get());
  std::erase_if(parts, [](const std::string& part) { return part.empty(); });
  if (parts.empty()) return Sent::kDone;
  std::size_t first = 0, offset = 0;
  if (at_once) {
    // A socket takes at most its send buffer (256 KiB): a few parts are all it can take now.
    constexpr std::size_t kMaxParts = 16;
    uv_buf_t now[kMaxParts];
    unsigned count = 0;
    for (; count < kMaxParts && count < parts.size(); ++count)
      now[count] = uv_buf_init(parts[count].data(), static_cast<unsigned>(parts[count].size()));
    int wrote = uv_try_write(stream, now, count);
    if (wrote < 0 && wrote != UV_EAGAIN) return Sent::kFailed;  // UV_EAGAIN while writes are queued
    auto taken = static_cast<std::size_t>(std::max(wrote, 0));
    while (first < parts.size() && taken >= parts[first].size()) taken -= parts[first++].size();
    if (first == parts.size()) return Sent::kDone;
    offset = taken;
  }
  auto pending = std::make_unique<PendingWrite>();
  pending->parts.assign(std::make_move_iterator(parts.begin() + static_cast<std::ptrdiff_t>(first)),
                        std::make_move_iterator(parts.end()));
  pending->offset = offset;
  std::uint64_t id = c->id;
  std::weak_ptr<bool> alive = alive_;
  pending->done = [this, id, alive, after](int status) {
    auto a = alive.lock();
    if (!a || !*a) return;
    if (status != 0 || after == AfterWrite::kDrop) return drop(id);
    if (after == AfterWrite::kResume) resume(id);
    if (after == AfterWrite::kNextPiece) {
      if (auto it = connections_.find(id); it != connections_.end()) send_encrypted(it->second.get(), true);
    }
  };
  pending->req.data = pending.get();
  auto bufs = buffers(pending->parts, pending->offset);  // libuv copies the array, not the bytes
  int rc =
      uv_write(&pending->req, stream, bufs.data(), static_cast<unsigned>(bufs.size()), [](uv_write_t* w, int status) {
        std::unique_ptr<PendingWrite> done(static_cast<PendingWrite*>(w->data));
        done->done(status);
      });
  if (rc != 0) return Sent::kFailed;
  (void)pending.release();  // now libuv's, freed in the callback
  return Sent::kQueued;
}

void HttpServer::drop(std::uint64_t id) { connections_.erase(id); }

void HttpServer::resume(std::uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection* c = it->second.get();
  if (c->peer_closed && c->held.empty()) return drop(id);
  c->parser.reset();
  c->answered = false;
  c->writing = false;
  c->busy = false;
  c->timeout.start(limits_.idle_timeout_ms);
  if (!c->reading && !c->peer_closed) {
    c->reading = true;
    uv_read_start(reinterpret_cast<uv_stream_t*>(c->tcp.get()), &HttpServer::on_alloc, &HttpServer::on_read);
  }
  if (c->held.empty()) return;
  consume(c, std::exchange(c->held, std::string()));
  // A client that closed its side after a part of a request will send no more of it.
  if (auto again = connections_.find(id);
      again != connections_.end() && again->second->peer_closed && !again->second->busy) {
    drop(id);
  }
}

}  // namespace prober::net
