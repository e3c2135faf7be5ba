#include "io/curl_multi_driver.h"

#include <cstdio>
#include <stdexcept>

namespace prober::io {

CurlMultiDriver::CurlMultiDriver(uv_loop_t* loop)
    : loop_(loop), multi_(curl_multi_init()), timer_(loop, [this] { socket_action(CURL_SOCKET_TIMEOUT, 0); }) {
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiDriver::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiDriver::on_timer_change);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMultiDriver::~CurlMultiDriver() {
  for (auto& [easy, done] : completions_) curl_multi_remove_handle(multi_, easy);
  completions_.clear();
  curl_multi_cleanup(multi_);  // may still report sockets as removed: polls_ must be alive here
  polls_.clear();
}

CURLMcode CurlMultiDriver::add(CURL* easy, Completion done) {
  CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc == CURLM_OK) completions_.emplace(easy, std::move(done));
  return rc;
}

void CurlMultiDriver::remove(CURL* easy) noexcept {
  if (completions_.erase(easy) > 0) curl_multi_remove_handle(multi_, easy);
}

int CurlMultiDriver::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) noexcept {
  auto* driver = static_cast<CurlMultiDriver*>(self);
  try {
    driver->watch(fd, what);
  } catch (...) {
    std::fprintf(stderr, "prober: cannot watch a curl socket\n");
    return -1;
  }
  return 0;
}

void CurlMultiDriver::watch(curl_socket_t fd, int what) {
  if (what == CURL_POLL_REMOVE) {
    // Stop now, before curl closes the fd; the handle's memory goes in its close callback.
    if (auto it = polls_.find(fd); it != polls_.end()) {
      uv_poll_stop(it->second->poll.get());
      polls_.erase(it);
    }
    return;
  }
  auto& slot = polls_[fd];
  if (!slot) {
    auto poll = std::make_unique<SocketPoll>();
    poll->fd = fd;
    if (uv_poll_init_socket(loop_, poll->poll.get(), fd) != 0) {
      poll->poll.init_failed();
      polls_.erase(fd);
      throw std::runtime_error("uv_poll_init_socket failed");
    }
    poll->poll.get()->data = this;
    slot = std::move(poll);
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  uv_poll_start(slot->poll.get(), events, &CurlMultiDriver::on_poll);
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

void CurlMultiDriver::on_poll(uv_poll_t* handle, int status, int events) noexcept {
  auto* driver = static_cast<CurlMultiDriver*>(handle->data);
  if (!driver) return;
  int fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(handle), &fd);
  int flags = 0;
  if (status < 0) {
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

void CurlMultiDriver::socket_action(curl_socket_t fd, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, flags, &running);
  drain_completions();
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
