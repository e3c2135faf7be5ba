#pragma once
// A libuv timer that is always initialised (so stopping one that never started is safe: libuv
// leaves uv_timer_stop on an uninitialised handle undefined, and libuv 1.50 crashes there) and
// calls a std::function instead of a C trampoline. Not copyable or movable: libuv holds its
// address.
#include <uv.h>

#include <cstdint>
#include <functional>

#include "io/uv_handle.h"

namespace prober::io {

class UvTimer {
 public:
  explicit UvTimer(uv_loop_t* loop, std::function<void()> fire = {}) : fire_(std::move(fire)) {
    uv_timer_init(loop, handle_.get());
    handle_.get()->data = this;
  }
  UvTimer(const UvTimer&) = delete;
  UvTimer& operator=(const UvTimer&) = delete;

  // Fires once after timeout_ms, then every repeat_ms if that is not 0. `fire` may destroy the
  // timer's owner.
  void start(std::uint64_t timeout_ms, std::uint64_t repeat_ms, std::function<void()> fire) {
    if (!handle_.get()) return;  // closed
    fire_ = std::move(fire);
    uv_timer_start(handle_.get(), &UvTimer::on_fire, timeout_ms, repeat_ms);
  }
  // Re-arms with the function it already has (no allocation: safe where noexcept).
  void start(std::uint64_t timeout_ms, std::uint64_t repeat_ms = 0) noexcept {
    if (handle_.get()) uv_timer_start(handle_.get(), &UvTimer::on_fire, timeout_ms, repeat_ms);
  }
  void stop() noexcept {
    if (handle_.get()) uv_timer_stop(handle_.get());
  }
  bool active() const noexcept { return handle_.get() && uv_is_active(handle_.base()) != 0; }
  void close() noexcept { handle_.close(); }

 private:
  static void on_fire(uv_timer_t* t) {
    auto* self = static_cast<UvTimer*>(t->data);
    if (!self) return;
    auto fire = self->fire_;  // a copy: the call may destroy the timer and its function
    if (fire) fire();
  }

  UvHandle<uv_timer_t> handle_;
  std::function<void()> fire_;
};

}  // namespace prober::io
