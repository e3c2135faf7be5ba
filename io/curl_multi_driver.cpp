#include "io/curl_multi_driver.h"

#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace prober::io {

CurlMultiDriver::CurlMultiDriver(uv_loop_t* loop)
    : loop_(loop),
      sockets_(loop),
      multi_(curl_multi_init()),
      timer_(loop, [this] { socket_action(CURL_SOCKET_TIMEOUT, 0); }) {
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiDriver::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiDriver::on_timer_change);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMultiDriver::~CurlMultiDriver() {
  for (auto& [easy, done] : completions_) curl_multi_remove_handle(multi_, easy);
  completions_.clear();
  curl_multi_cleanup(multi_);  // may still report sockets as removed: sockets_ is alive here
  settle_removed();
  sockets_.forget_owner(this);
}

CURLMcode CurlMultiDriver::add(CURL* easy, Completion done) {
  // Every socket of the transfer is closed through on_close, which tells the watcher.
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &CurlMultiDriver::on_close);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
  CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc == CURLM_OK) completions_.emplace(easy, std::move(done));
  settle_removed();
  return rc;
}

void CurlMultiDriver::remove(CURL* easy) noexcept {
  if (completions_.erase(easy) > 0) curl_multi_remove_handle(multi_, easy);
  settle_removed();
}

int CurlMultiDriver::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) noexcept {
  auto* driver = static_cast<CurlMultiDriver*>(self);
  if (what == CURL_POLL_REMOVE) {
    driver->removed_.push_back(fd);  // curl closes it next, as a rule: see removed_
    return 0;
  }
  std::erase(driver->removed_, fd);  // watched again
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  if (int rc = driver->sockets_.watch(fd, events, &CurlMultiDriver::on_ready, driver); rc != 0) {
    std::fprintf(stderr, "prober: cannot watch a curl socket: %s\n", uv_strerror(rc));
    return -1;  // curl then fails every transfer in progress (the kernel refused: ENOMEM, ENOSPC)
  }
  return 0;
}

int CurlMultiDriver::on_timer_change(CURLM*, long timeout_ms, void* self) noexcept {
  auto* driver = static_cast<CurlMultiDriver*>(self);
  // socket_action must not be called from inside this callback: a 0 ms timeout is run by the
  // loop on its next turn instead.
  if (timeout_ms < 0) {
    driver->timer_.stop();
  } else {
    driver->timer_.start(static_cast<uint64_t>(timeout_ms));
  }
  return 0;
}

void CurlMultiDriver::on_ready(void* self, int fd, int events, bool failed) noexcept {
  auto* driver = static_cast<CurlMultiDriver*>(self);
  int flags = 0;
  if (failed) {
    // Not CURL_CSELECT_ERR: with it curl fails with "select/poll returned error" and no errno.
    // Letting curl read and write makes it meet the socket's own error (ECONNRESET, ...), which
    // is what the classifier needs.
    flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  driver->socket_action(fd, flags);
}

int CurlMultiDriver::on_close(void* self, curl_socket_t fd) noexcept {
  auto* driver = static_cast<CurlMultiDriver*>(self);
  std::erase(driver->removed_, fd);
  driver->sockets_.forget_closed(fd);  // curl alone holds its sockets: the close leaves the set
  return ::close(fd);
}

void CurlMultiDriver::socket_action(curl_socket_t fd, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, flags, &running);
  drain_completions();
  settle_removed();
}

void CurlMultiDriver::settle_removed() noexcept {
  for (curl_socket_t fd : removed_) sockets_.forget(fd);
  removed_.clear();
}

void CurlMultiDriver::drain_completions() {
  int pending = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &pending)) {
    if (msg->msg != CURLMSG_DONE) continue;
    // Copy before removing: the message is invalid once the handle leaves the multi.
    CURL* easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    curl_multi_remove_handle(multi_, easy);
    auto it = completions_.find(easy);
    if (it == completions_.end()) continue;
    Completion done = std::move(it->second);
    completions_.erase(it);
    try {
      done(result);
    } catch (...) {
      std::fprintf(stderr, "prober: a transfer completion threw; result dropped\n");
    }
  }
}

}  // namespace prober::io
