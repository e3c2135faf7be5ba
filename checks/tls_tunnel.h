#pragma once
// The TLS half of an HTTPS check. It connects to the pinned address and runs the handshake on a
// context shared by every check with the same TLS setting (tls_contexts.h), then relays between
// the TLS connection and a private local socket that curl speaks plain HTTP over (HTTP/2 with
// prior knowledge when ALPN chose h2). curl keeps what it does well — HTTP/1.1 and HTTP/2,
// content decoding, limits — and no connection pays for building a TLS context of its own.
//
// What happened is kept in curl's terms (a CURLcode, the socket's errno, OpenSSL's error text)
// so the one classifier (failure.h) reads it as it reads a transfer curl ran alone.
#include <curl/curl.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "checks/tls_capture.h"
#include "checks/tls_contexts.h"
#include "io/openssl_handles.h"
#include "io/socket_address.h"
#include "io/socket_watcher.h"

namespace prober::checks {

struct TunnelState {
  CURLcode code = CURLE_OK;  // the first failure, named as curl names it; OK while there is none
  long os_errno = 0;
  std::string error_text;
  std::uint64_t started_ns = 0;  // uv_hrtime() marks; 0 = not reached
  std::uint64_t connected_ns = 0;
  std::uint64_t handshake_done_ns = 0;
  bool h2 = false;  // ALPN chose HTTP/2
};

struct TunnelTarget {
  io::SocketAddress address;
  std::string host;  // SNI (unless an IP literal) and the name the certificate must carry
  int port = 0;
  bool verify = true;  // certificate and host name
};

class TlsTunnel {
 public:
  using Handshaken = std::function<void()>;
  // The relay's read sizes: a TLS record holds up to 16 KiB; requests are small (a body goes in
  // several writes).
  static constexpr std::size_t kDownBuffer = 16 * 1024;
  static constexpr std::size_t kUpBuffer = 4 * 1024;

  // `sockets`, `contexts` and `tls` outlive the tunnel. The context is taken once TCP is up, as
  // curl does: building one (a CA bundle to read) is not charged to the connection or its deadline.
  TlsTunnel(uv_loop_t* loop, io::SocketWatcher& sockets, TlsContexts& contexts, const config::TlsOptions& tls,
            TlsCapture& capture);
  TlsTunnel(const TlsTunnel&) = delete;
  TlsTunnel& operator=(const TlsTunnel&) = delete;
  ~TlsTunnel();

  // Connects and runs the handshake; `done` runs once from the loop when it is over, state()
  // says how. Returns false (and does not call `done`) when it failed at once.
  bool start(TunnelTarget target, Handshaken done);
  // After a handshake that worked: a fresh abstract local socket name for curl
  // (CURLOPT_ABSTRACT_UNIX_SOCKET). The first connection from this process is relayed; empty
  // when no socket could be made (state() says why).
  std::string listen();
  // curl says it has connected (CURLOPT_PREREQFUNCTION): its connection is taken at once,
  // without a turn of the loop; if it is not there yet, when it comes.
  void curl_connected();
  const TunnelState& state() const noexcept { return state_; }

 private:
  void on_socket(int events);
  void handshake();
  // The handshake is over, state() says how: stop watching and tell the owner.
  void end_handshake();
  bool host_matches();
  bool accept_local();
  void relay();
  // One pass of each direction; true when bytes moved. A failure closes curl's connection.
  bool to_curl(bool& tls_dry, int& tls_wants, int& local_wants);
  bool to_server(bool& local_dry, int& tls_wants);
  void abandon(const char* operation, int rc);
  void fail(CURLcode code, long os_errno, std::string text);
  void fail_tls(const char* operation, int rc);
  static void on_ready(void* self, int fd, int events, bool failed) noexcept;
  // Watches `fd` for `events` (0: not at all) unless it is watched so already; false when the
  // kernel refused.
  bool watch(int fd, int& watched, int events);
  bool watch_tls(int events) { return watch(fd_, tls_events_, events); }
  void watch_local(int events) { watch(local_, local_events_, events); }
  // Stops watching `fd` and closes it.
  void close_watched(int& fd, int& watched);

  uv_loop_t* loop_;
  io::SocketWatcher& sockets_;
  TlsContexts& contexts_;
  const config::TlsOptions& tls_;
  std::shared_ptr<SSL_CTX> ctx_;
  TlsCapture& capture_;
  TunnelTarget target_;
  Handshaken done_;
  TunnelState state_;
  io::SslPtr ssl_;
  int fd_ = -1;  // the TCP connection to the server
  int listener_ = -1;
  int local_ = -1;      // our end of curl's connection
  int tls_events_ = 0;  // what is watched of each fd
  int listener_events_ = 0;
  int local_events_ = 0;

  std::string to_curl_pending_;    // read from the server, not yet taken by curl
  std::string to_server_pending_;  // read from curl, not yet taken by OpenSSL
  bool server_done_ = false;       // the server closed (cleanly or not): curl gets end of file
  bool local_shut_ = false;
  bool curl_done_ = false;  // curl closed its end
};

}  // namespace prober::checks
