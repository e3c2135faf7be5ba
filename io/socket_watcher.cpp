#include "io/socket_watcher.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <stdexcept>

namespace prober::io {
namespace {

std::uint32_t epoll_events_of(int uv_events) {
  return ((uv_events & UV_READABLE) ? EPOLLIN : 0U) | ((uv_events & UV_WRITABLE) ? EPOLLOUT : 0U);
}

int uv_events_of(std::uint32_t epoll_events) {
  return ((epoll_events & EPOLLIN) ? UV_READABLE : 0) | ((epoll_events & EPOLLOUT) ? UV_WRITABLE : 0);
}

}  // namespace

SocketWatcher::SocketWatcher(uv_loop_t* loop) : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_fd_ < 0) throw std::runtime_error("epoll_create1 failed");
  if (uv_poll_init(loop, poll_.get(), epoll_fd_) != 0) {
    poll_.init_failed();
    ::close(epoll_fd_);
    throw std::runtime_error("cannot watch an epoll set on the loop");
  }
  poll_.get()->data = this;
  uv_poll_start(poll_.get(), UV_READABLE, &SocketWatcher::on_epoll_ready);
  // Watching nothing, the set must not keep the loop running (`prober check` ends when its
  // check has): it holds a reference only while a socket is watched.
  uv_unref(poll_.base());
}

SocketWatcher::~SocketWatcher() {
  poll_.close();  // takes the epoll fd out of the loop's set at once, before it is closed
  ::close(epoll_fd_);
}

int SocketWatcher::watch(int fd, int events, Ready ready, void* owner) noexcept {
  if (fd < 0 || ready == nullptr || epoll_events_of(events) == 0) return -EINVAL;
  try {
    if (static_cast<std::size_t>(fd) >= entries_.size()) entries_.resize(static_cast<std::size_t>(fd) + 1);
  } catch (...) {
    return -ENOMEM;
  }
  Entry& entry = entries_[static_cast<std::size_t>(fd)];
  bool added = entry.ready == nullptr;
  if (added) entry.generation = next_generation_++;
  // Always asked of the kernel, even when nothing seems to change: an fd closed without forget()
  // left the kernel's set, and a fresh socket with its number would otherwise never be reported.
  std::uint32_t wanted = epoll_events_of(events);
  epoll_event ev{};
  ev.events = wanted;
  ev.data.u64 = (static_cast<std::uint64_t>(entry.generation) << 32) | static_cast<std::uint32_t>(fd);
  int op = entry.events != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  int rc = epoll_ctl(epoll_fd_, op, fd, &ev);
  // The kernel's set and ours disagree when an fd was closed without forget() (closing takes it
  // out of the set) or is still in the set under an earlier registration: do the other op.
  if (rc != 0 && op == EPOLL_CTL_ADD && errno == EEXIST) rc = epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  if (rc != 0 && op == EPOLL_CTL_MOD && errno == ENOENT) rc = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  if (rc != 0) {
    int error = errno;
    if (added) entry.clear();
    return -error;
  }
  entry.events = wanted;
  entry.ready = ready;
  entry.owner = owner;
  if (added && watched_++ == 0) uv_ref(poll_.base());
  return 0;
}

void SocketWatcher::forget(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= entries_.size()) return;
  if (entries_[static_cast<std::size_t>(fd)].events != 0) leave_set(fd);
  forget_closed(fd);
}

void SocketWatcher::forget_closed(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= entries_.size()) return;
  Entry& entry = entries_[static_cast<std::size_t>(fd)];
  if (entry.ready == nullptr) return;
  entry.clear();
  if (--watched_ == 0) uv_unref(poll_.base());
}

void SocketWatcher::forget_owner(const void* owner) noexcept {
  for (std::size_t fd = 0; fd < entries_.size(); ++fd) {
    if (entries_[fd].ready != nullptr && entries_[fd].owner == owner) forget(static_cast<int>(fd));
  }
}

void SocketWatcher::leave_set(int fd) noexcept {
  epoll_event ev{};  // ignored by EPOLL_CTL_DEL; kernels before 2.6.9 wanted it non-null
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev);
}

void SocketWatcher::on_epoll_ready(uv_poll_t* handle, int, int) noexcept {
  auto* self = static_cast<SocketWatcher*>(handle->data);
  if (self) self->dispatch();
}

void SocketWatcher::dispatch() noexcept {
  // Up to kMaxBatches full batches a turn; level-triggered, so what is left makes the set ready
  // again on the next turn. One batch a turn was too few: when a turn also starts checks and
  // renders a scrape slice, 256 events a turn fell behind 200 000 monitors' answers, which then
  // waited unread (~1 s each, 3 000 connections open) while the agent went on starting more.
  for (int round = 0; round < kMaxBatches; ++round) {
    if (dispatch_batch() < kBatch) return;
  }
}

int SocketWatcher::dispatch_batch() noexcept {
  std::array<epoll_event, kBatch> batch{};
  int n = epoll_wait(epoll_fd_, batch.data(), kBatch, 0);
  for (int i = 0; i < n; ++i) {
    auto fd = static_cast<int>(batch[i].data.u64 & 0xffffffffU);
    auto generation = static_cast<std::uint32_t>(batch[i].data.u64 >> 32);
    std::uint32_t got = batch[i].events;
    // Re-read on every event: a callback may watch or forget any fd (and grow entries_).
    if (static_cast<std::size_t>(fd) >= entries_.size()) continue;
    Entry& entry = entries_[static_cast<std::size_t>(fd)];
    if (entry.ready == nullptr) {
      // Forgotten since the batch was fetched, or still in the kernel's set after being closed
      // in one process while another holds it: then take it out, or it is reported forever.
      if (entry.generation == generation) leave_set(fd);
      continue;
    }
    if (entry.generation != generation || entry.events == 0) continue;  // the fd number was reused
    Ready ready = entry.ready;
    void* owner = entry.owner;
    int watched = uv_events_of(entry.events);
    if (got & EPOLLERR) {
      // As a uv_poll does: stop watching the socket and report the error once; the owner meets
      // the socket's own error when it reads or writes, and watches again if it wants to.
      leave_set(fd);
      entry.events = 0;
      ready(owner, fd, watched, true);
      continue;
    }
    // A hang-up makes every watched direction ready (libuv's rule): the owner's read sees the end.
    int events = (got & EPOLLHUP) ? watched : uv_events_of(got) & watched;
    if (events != 0) ready(owner, fd, events, false);
  }
  return n;
}

}  // namespace prober::io
