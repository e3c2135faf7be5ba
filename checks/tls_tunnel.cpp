#include "checks/tls_tunnel.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "checks/address_lookup.h"

namespace prober::checks {
namespace {

// What browsers offer; curl with HTTP/2 support offers the same.
const unsigned char kAlpn[] = "\x02h2\x08http/1.1";

std::string openssl_text(unsigned long code) {
  char text[256] = {};
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

bool is_unexpected_eof(unsigned long code) {
  return ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string connect_failure(const TunnelTarget& target, int error) {
  return "Failed to connect to " + target.host + " port " + std::to_string(target.port) + ": " + std::strerror(error);
}

// One buffer each way for every tunnel of the loop's thread: what is read is written on at once,
// and only what the other side could not take yet is kept, by the tunnel it belongs to.
char* scratch_to_curl() {
  thread_local auto buffer = std::make_unique<char[]>(TlsTunnel::kDownBuffer);
  return buffer.get();
}

char* scratch_to_server() {
  thread_local auto buffer = std::make_unique<char[]>(TlsTunnel::kUpBuffer);
  return buffer.get();
}

}  // namespace

TlsTunnel::TlsTunnel(uv_loop_t* loop, io::SocketWatcher& sockets, TlsContexts& contexts, const config::TlsOptions& tls,
                     TlsCapture& capture)
    : loop_(loop), sockets_(sockets), contexts_(contexts), tls_(tls), capture_(capture) {}

TlsTunnel::~TlsTunnel() {
  close_watched(fd_, tls_events_);
  close_watched(listener_, listener_events_);
  close_watched(local_, local_events_);
}

bool TlsTunnel::start(TunnelTarget target, Handshaken done) {
  target_ = std::move(target);
  done_ = std::move(done);
  state_.started_ns = uv_hrtime();
  if (target_.address.family() == 0) {
    fail(CURLE_COULDNT_CONNECT, EAFNOSUPPORT, "not an address to connect to");
    return false;
  }
  fd_ = ::socket(target_.address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd_ < 0) {
    fail(CURLE_COULDNT_CONNECT, errno, std::string("cannot open a socket: ") + std::strerror(errno));
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as curl: requests are small, send them now
  if (::connect(fd_, target_.address.get(), target_.address.length) != 0 && errno != EINPROGRESS) {
    int error = errno;
    fail(CURLE_COULDNT_CONNECT, error, connect_failure(target_, error));
    return false;
  }
  if (!watch_tls(UV_WRITABLE)) {
    fail(CURLE_FAILED_INIT, 0, "cannot watch the socket");
    return false;
  }
  return true;
}

bool TlsTunnel::watch(int fd, int& watched, int events) {
  if (fd < 0 || events == watched) return true;
  if (events == 0) {
    sockets_.forget(fd);
  } else if (sockets_.watch(fd, events, &TlsTunnel::on_ready, this) != 0) {
    return false;
  }
  watched = events;
  return true;
}

void TlsTunnel::close_watched(int& fd, int& watched) {
  if (fd >= 0 && watched != 0) sockets_.forget(fd);
  watched = 0;
  close_fd(fd);
}

void TlsTunnel::on_ready(void* data, int fd, int events, bool failed) noexcept {
  auto* self = static_cast<TlsTunnel*>(data);
  // After a socket error the watcher no longer watches the fd: say so, so the next watch() asks
  // again. Each step below meets the error itself (SO_ERROR, OpenSSL's read, recv).
  if (fd == self->fd_) {
    if (failed) self->tls_events_ = 0;
    self->on_socket(events);
  } else if (fd == self->listener_) {
    if (failed) self->listener_events_ = 0;
    self->accept_local();
  } else if (fd == self->local_) {
    if (failed) self->local_events_ = 0;
    self->relay();
  }
}

void TlsTunnel::on_socket(int) {
  if (state_.connected_ns == 0) {
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
    if (error != 0) {
      fail(CURLE_COULDNT_CONNECT, error, connect_failure(target_, error));
      return end_handshake();
    }
    state_.connected_ns = uv_hrtime();
  }
  if (state_.handshake_done_ns == 0) {
    handshake();
    return;
  }
  relay();
}

void TlsTunnel::handshake() {
  if (!ssl_) {
    TlsContexts::Made made = contexts_.get(tls_, uv_now(loop_));
    if (!made.ctx) {  // our CA file or client certificate, not the server
      fail(made.code, 0, made.error);
      return end_handshake();
    }
    ctx_ = std::move(made.ctx);
    ssl_.reset(SSL_new(ctx_.get()));
    if (!ssl_) {
      fail(CURLE_OUT_OF_MEMORY, 0, "cannot make a TLS connection");
      return end_handshake();
    }
    SSL_set_fd(ssl_.get(), fd_);
    // As browsers and curl: no SNI for an address, only for a name.
    if (!is_ip_literal(target_.host)) SSL_set_tlsext_host_name(ssl_.get(), target_.host.c_str());
    SSL_set_alpn_protos(ssl_.get(), kAlpn, sizeof kAlpn - 1);
    capture_.attach(ssl_.get());
  }
  ERR_clear_error();
  errno = 0;
  int rc = SSL_connect(ssl_.get());
  if (rc != 1) {
    int error = SSL_get_error(ssl_.get(), rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (watch_tls(error == SSL_ERROR_WANT_READ ? UV_READABLE : UV_WRITABLE)) return;
      fail(CURLE_FAILED_INIT, 0, "cannot watch the socket");
      return end_handshake();
    }
    fail_tls("SSL_connect", rc);
    return end_handshake();
  }
  state_.handshake_done_ns = uv_hrtime();
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl_.get(), &alpn, &alpn_length);
  state_.h2 = alpn_length == 2 && std::memcmp(alpn, "h2", 2) == 0;
  if (target_.verify && !host_matches()) {
    // The chain verified; the name is checked after it, as curl does, so an expired certificate
    // for the wrong name is reported as expired.
    fail(CURLE_PEER_FAILED_VERIFICATION, 0,
         "SSL: no alternative certificate subject name matches target host name '" + target_.host + "'");
  }
  end_handshake();
}

void TlsTunnel::end_handshake() {
  watch_tls(0);
  if (auto done = std::move(done_)) done();  // last: the owner may destroy this tunnel
}

bool TlsTunnel::host_matches() {
  X509* leaf = SSL_get0_peer_certificate(ssl_.get());
  if (!leaf) return false;
  // As curl: a wildcard only as a whole leftmost label; the Common Name only when the
  // certificate has no subjectAltName of the kind asked (the result marks that case).
  if (is_ip_literal(target_.host)) return X509_check_ip_asc(leaf, target_.host.c_str(), 0) == 1;
  return X509_check_host(leaf, target_.host.data(), target_.host.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                         nullptr) == 1;
}

std::string TlsTunnel::listen() {
  static std::uint64_t counter = 0;
  for (int attempt = 0; attempt < 4 && listener_ < 0; ++attempt) {
    // Abstract names (Linux): nothing on disk to clean up. Another process of this network
    // namespace could connect first; accept_local takes only a connection from this process.
    std::string name = "prober-tls-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    io::SocketAddress address = io::abstract_socket_address(name);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    if (::bind(fd, address.get(), address.length) == 0 && ::listen(fd, 4) == 0) {
      listener_ = fd;
      return name;
    }
    ::close(fd);  // the name is taken: try the next
  }
  fail(CURLE_FAILED_INIT, errno, std::string("cannot make a local socket for the request: ") + std::strerror(errno));
  return "";
}

void TlsTunnel::curl_connected() {
  if (local_ >= 0 || listener_ < 0) return;
  if (accept_local()) return;
  // Not there yet (or another process's connection came first): wait for curl's.
  watch(listener_, listener_events_, UV_READABLE);  // refused: curl's request waits for the deadline
}

bool TlsTunnel::accept_local() {
  int fd = -1;
  for (;;) {
    fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return false;  // nothing yet (EAGAIN); a hard error shows as curl's connect failure
    ucred peer{};
    socklen_t size = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 && peer.pid == ::getpid()) break;
    ::close(fd);
  }
  close_watched(listener_, listener_events_);
  local_ = fd;
  relay();
  return true;
}

void TlsTunnel::relay() {
  if (local_ < 0 || !ssl_) return;
  // A side that had nothing to read is not asked again in this call (the loop wakes us when it
  // has): each empty read is a system call.
  bool tls_dry = false;
  bool local_dry = false;
  for (;;) {
    int tls_wants = 0;  // besides reading what a dry side sends next
    int local_wants = 0;
    bool down = to_curl(tls_dry, tls_wants, local_wants);
    if (local_ < 0) return;
    bool up = to_server(local_dry, tls_wants);
    if (local_ < 0) return;
    if (!down && !up) {
      watch_tls(server_done_ ? 0 : tls_wants | (tls_dry ? UV_READABLE : 0));
      watch_local(local_wants | (local_dry && !curl_done_ ? UV_READABLE : 0));
      return;
    }
  }
}

bool TlsTunnel::to_curl(bool& tls_dry, int& tls_wants, int& local_wants) {
  bool progress = false;
  if (!to_curl_pending_.empty()) {
    ssize_t sent = ::send(local_, to_curl_pending_.data(), to_curl_pending_.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      to_curl_pending_.erase(0, static_cast<std::size_t>(sent));
      progress = true;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      local_wants |= UV_WRITABLE;
    } else {
      to_curl_pending_.clear();  // curl has gone: nothing more to hand it
      curl_done_ = true;
    }
  }
  // Nothing more is read while curl has not taken the last (backpressure). Every record already
  // here goes to curl in one write, since each write wakes curl's side.
  char* buffer = scratch_to_curl();
  std::size_t filled = 0;
  while (to_curl_pending_.empty() && filled < kDownBuffer && !server_done_ && !tls_dry && !curl_done_) {
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(ssl_.get(), buffer + filled, static_cast<int>(kDownBuffer - filled));
    if (n > 0) {
      filled += static_cast<std::size_t>(n);
      progress = true;
      continue;
    }
    int error = SSL_get_error(ssl_.get(), n);
    if (error == SSL_ERROR_WANT_READ) {
      tls_dry = true;
    } else if (error == SSL_ERROR_WANT_WRITE) {
      tls_wants |= UV_WRITABLE;
    } else if (error == SSL_ERROR_ZERO_RETURN || is_unexpected_eof(ERR_peek_error()) ||
               (error == SSL_ERROR_SYSCALL && errno == 0 && ERR_peek_error() == 0)) {
      // A close without close_notify ends a response as browsers take it: curl decides from
      // the framing whether the response was complete.
      server_done_ = true;
      progress = true;
    } else {
      // curl gets what came before the failure (best effort), then the end of its connection.
      if (filled > 0) (void)::send(local_, buffer, filled, MSG_NOSIGNAL);
      abandon("SSL_read", n);
      return false;
    }
    break;
  }
  if (filled > 0) {
    ssize_t sent = ::send(local_, buffer, filled, MSG_NOSIGNAL);
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      curl_done_ = true;
    } else {
      std::size_t taken = sent > 0 ? static_cast<std::size_t>(sent) : 0;
      if (taken < filled) {
        to_curl_pending_.assign(buffer + taken, filled - taken);
        local_wants |= UV_WRITABLE;
      }
    }
  }
  if (server_done_ && to_curl_pending_.empty() && !local_shut_) {
    ::shutdown(local_, SHUT_WR);
    local_shut_ = true;
  }
  return progress;
}

bool TlsTunnel::to_server(bool& local_dry, int& tls_wants) {
  bool progress = false;
  if (server_done_) to_server_pending_.clear();  // the server is gone: curl sees the end
  const char* data = to_server_pending_.data();
  std::size_t size = to_server_pending_.size();
  if (size == 0 && !curl_done_ && !local_dry && !server_done_) {
    char* buffer = scratch_to_server();
    ssize_t got = ::recv(local_, buffer, kUpBuffer, 0);
    if (got > 0) {
      data = buffer;
      size = static_cast<std::size_t>(got);
      progress = true;
    } else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      local_dry = true;
    } else {
      curl_done_ = true;
    }
  }
  if (size == 0) return progress;
  ERR_clear_error();
  errno = 0;
  // After WANT_WRITE OpenSSL must be given the same bytes again: they are kept until written.
  int n = SSL_write(ssl_.get(), data, static_cast<int>(size));
  std::size_t written = n > 0 ? static_cast<std::size_t>(n) : 0;
  if (n <= 0) {
    int error = SSL_get_error(ssl_.get(), n);
    if (error == SSL_ERROR_WANT_WRITE) {
      tls_wants |= UV_WRITABLE;
    } else if (error == SSL_ERROR_WANT_READ) {
      tls_wants |= UV_READABLE;
    } else {
      abandon("SSL_write", n);
      return false;
    }
  }
  if (data == to_server_pending_.data()) {
    to_server_pending_.erase(0, written);
  } else if (written < size) {
    to_server_pending_.assign(data + written, size - written);
  }
  return progress || written > 0;
}

void TlsTunnel::abandon(const char* operation, int rc) {
  fail_tls(operation, rc);
  if (!to_curl_pending_.empty()) (void)::send(local_, to_curl_pending_.data(), to_curl_pending_.size(), MSG_NOSIGNAL);
  watch_tls(0);
  ::shutdown(local_, SHUT_RDWR);
  close_watched(local_, local_events_);
}

void TlsTunnel::fail(CURLcode code, long os_errno, std::string text) {
  if (state_.code != CURLE_OK) return;  // the first failure is the cause
  state_.code = code;
  state_.os_errno = os_errno;
  state_.error_text = std::move(text);
}

void TlsTunnel::fail_tls(const char* operation, int rc) {
  int saved_errno = errno;
  int error = SSL_get_error(ssl_.get(), rc);
  unsigned long code = ERR_peek_error();  // the earliest: the cause, as curl reports it
  bool handshake = state_.handshake_done_ns == 0;
  CURLcode curl_code = handshake ? CURLE_SSL_CONNECT_ERROR
                                 : (std::strcmp(operation, "SSL_write") == 0 ? CURLE_SEND_ERROR : CURLE_RECV_ERROR);
  std::string text;
  if (code != 0) {
    if (handshake && ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      curl_code = CURLE_PEER_FAILED_VERIFICATION;
      text =
          std::string("SSL certificate problem: ") + X509_verify_cert_error_string(SSL_get_verify_result(ssl_.get()));
    } else {
      text = std::string("OpenSSL ") + operation + ": " + openssl_text(code);
    }
  } else if (error == SSL_ERROR_SYSCALL && saved_errno != 0) {
    text = std::string("OpenSSL ") + operation + ": " + std::strerror(saved_errno) + " in connection to " +
           target_.host + ":" + std::to_string(target_.port);
  } else {
    text = std::string("OpenSSL ") + operation + ": the connection ended (SSL error " + std::to_string(error) + ")";
  }
  ERR_clear_error();
  fail(curl_code, error == SSL_ERROR_SYSCALL ? saved_errno : 0, std::move(text));
}

}  // namespace prober::checks
