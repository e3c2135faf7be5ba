#include "scheduler/uv_clock.h"

#include <cstdio>

#include "io/uv_timer.h"

namespace prober::scheduler {
namespace {

// The scheduler's Timer on io::UvTimer; an exception from the callback must not cross libuv.
class LoopTimer final : public Timer {
 public:
  LoopTimer(uv_loop_t* loop, std::function<void()> callback)
      : callback_(std::move(callback)), timer_(loop, [this]() noexcept {
          try {
            callback_();
          } catch (...) {
            std::fprintf(stderr, "prober: a timer callback threw\n");
          }
        }) {}
  void enable(Millis delay) override { timer_.start(static_cast<uint64_t>(std::max<Millis::rep>(0, delay.count()))); }
  void disable() override { timer_.stop(); }
  bool enabled() const override { return timer_.active(); }

 private:
  std::function<void()> callback_;
  io::UvTimer timer_;
};

}  // namespace

UvClock::UvClock(uv_loop_t* loop) : loop_(loop) {
  auto wall = std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch());
  epoch_offset_ = wall - Millis(uv_now(loop_));
}

Millis UvClock::now() const { return epoch_offset_ + Millis(uv_now(loop_)); }

std::unique_ptr<Timer> UvTimerFactory::create(std::function<void()> callback) {
  return std::make_unique<LoopTimer>(loop_, std::move(callback));
}

}  // namespace prober::scheduler
