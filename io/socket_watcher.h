#pragma once
// Readiness of many short-lived sockets through one epoll set of our own, itself watched by one
// uv_poll on the loop. Why not one uv_poll per socket: libuv's uv_poll_init probes the fd with an
// epoll_ctl ADD and DEL and sets it non-blocking once more, every uv_poll_start takes the fd out
// of the loop's epoll set and puts it back, and closing the handle takes it out twice: nine
// system calls for an HTTP check's socket (watch for writing, then for reading, then stop) where
// three do here (ADD, MOD, DEL). On a virtual machine each costs microseconds.
// Single-threaded: every call comes from the loop's thread.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/uv_handle.h"

namespace prober::io {

class SocketWatcher {
 public:
  // `events`: UV_READABLE and/or UV_WRITABLE, those watched that are ready (a hang-up makes every
  // watched direction ready, as libuv does). `failed`: the socket reported an error (EPOLLERR);
  // the fd is then no longer watched until watch() is called for it again, as with a uv_poll,
  // and the owner should read and write to meet the socket's own error.
  using Ready = void (*)(void* owner, int fd, int events, bool failed);

  explicit SocketWatcher(uv_loop_t* loop);  // throws std::runtime_error when epoll cannot start
  SocketWatcher(const SocketWatcher&) = delete;
  SocketWatcher& operator=(const SocketWatcher&) = delete;
  ~SocketWatcher();

  // Watches `fd` for `events` (UV_READABLE | UV_WRITABLE, at least one) and calls
  // ready(owner, fd, ...) from the loop while it is ready (level-triggered). Called again for the
  // same fd, it changes what is watched and who is told. Returns 0 or a negative errno.
  int watch(int fd, int events, Ready ready, void* owner) noexcept;
  // Stops watching `fd`; call it before the fd is closed. ready is not called for `fd` after
  // this, not even for an event fetched in the same batch.
  void forget(int fd) noexcept;
  // Stops watching `fd`, which its only holder has just closed: closing took it out of the
  // kernel's set already, so this costs no system call (a forget() before the close costs one).
  void forget_closed(int fd) noexcept;
  // Forgets every fd `owner` watches: for an owner going away, whose library may have closed a
  // socket without saying so (then the fd is out of the kernel's set, but still counted here).
  void forget_owner(const void* owner) noexcept;
  // How many fds are watched now.
  std::size_t watched() const noexcept { return watched_; }

 private:
  struct Entry {
    Ready ready = nullptr;  // null: not watched
    void* owner = nullptr;
    std::uint32_t generation = 0;  // tells an event for an fd number reused since it was fetched
    std::uint32_t events = 0;      // the epoll events registered; 0: not in the epoll set
    void clear() noexcept {        // not watched; the generation stays, to tell its events apart
      ready = nullptr;
      owner = nullptr;
      events = 0;
    }
  };

  static constexpr int kBatch = 256;     // events fetched by one epoll_wait
  static constexpr int kMaxBatches = 8;  // full batches handled in one turn of the loop

  static void on_epoll_ready(uv_poll_t* handle, int status, int events) noexcept;
  void dispatch() noexcept;
  int dispatch_batch() noexcept;    // one epoll_wait's events; returns how many it fetched
  void leave_set(int fd) noexcept;  // EPOLL_CTL_DEL, errors ignored

  int epoll_fd_ = -1;
  UvHandle<uv_poll_t> poll_;
  std::vector<Entry> entries_;  // indexed by fd
  std::size_t watched_ = 0;
  std::uint32_t next_generation_ = 1;
};

}  // namespace prober::io
