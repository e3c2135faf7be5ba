#pragma once
// libcurl's multi interface driven by the libuv loop (the pattern of curl's multi-uv example):
// curl's sockets watched through one SocketWatcher, one uv_timer for curl's timeout, completions
// drained after every socket_action. Single-threaded: every call comes from the loop thread.
#include <curl/curl.h>
#include <uv.h>

#include <functional>
#include <unordered_map>
#include <vector>

#include "io/socket_watcher.h"
#include "io/uv_timer.h"

namespace prober::io {

class CurlMultiDriver {
 public:
  using Completion = std::function<void(CURLcode)>;

  explicit CurlMultiDriver(uv_loop_t* loop);
  CurlMultiDriver(const CurlMultiDriver&) = delete;
  CurlMultiDriver& operator=(const CurlMultiDriver&) = delete;
  ~CurlMultiDriver();

  // Starts `easy`; `done` is called once, from the loop, when curl has finished with it. The
  // caller keeps owning `easy` and must keep it alive until `done` runs or remove() is called.
  CURLMcode add(CURL* easy, Completion done);
  // Aborts a transfer without calling its completion (a timeout or shutdown).
  void remove(CURL* easy) noexcept;
  uv_loop_t* loop() const noexcept { return loop_; }
  // Where curl's sockets are watched; others on the loop (the TLS tunnel's) can be watched there too.
  SocketWatcher& sockets() noexcept { return sockets_; }

 private:
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data) noexcept;
  static int on_timer_change(CURLM* multi, long timeout_ms, void* self) noexcept;
  static void on_ready(void* self, int fd, int events, bool failed) noexcept;
  static int on_close(void* self, curl_socket_t fd) noexcept;

  void socket_action(curl_socket_t fd, int flags);
  void drain_completions();
  void settle_removed() noexcept;

  uv_loop_t* loop_;
  SocketWatcher sockets_;  // curl's sockets; alive through curl_multi_cleanup, which still removes some
  CURLM* multi_;
  UvTimer timer_;  // curl's own timeout
  std::unordered_map<CURL*, Completion> completions_;
  // Sockets curl stopped watching (CURL_POLL_REMOVE) and has not closed yet. curl closes a
  // finished transfer's socket right after: closing takes it out of the epoll set, which saves
  // the EPOLL_CTL_DEL a check; one still open when curl returns is taken out then.
  std::vector<curl_socket_t> removed_;
};

}  // namespace prober::io
