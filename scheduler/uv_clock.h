#pragma once
// The production Clock and TimerFactory, on the libuv loop.
#include <uv.h>

#include "scheduler/clock.h"

namespace prober::scheduler {

class UvClock final : public Clock {
 public:
  explicit UvClock(uv_loop_t* loop);
  Millis now() const override;

 private:
  uv_loop_t* loop_;
  Millis epoch_offset_;  // wall clock minus uv_now() at start
};

class UvTimerFactory final : public TimerFactory {
 public:
  explicit UvTimerFactory(uv_loop_t* loop) : loop_(loop) {}
  std::unique_ptr<Timer> create(std::function<void()> callback) override;

 private:
  uv_loop_t* loop_;
};

}  // namespace prober::scheduler
