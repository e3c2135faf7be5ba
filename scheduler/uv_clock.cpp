#include "scheduler/uv_clock.h"

#include <cstdio>

#include "io/uv_handle.h"

namespace prober::scheduler {
namespace {

class UvTimer final : public Timer {
 public:
  UvTimer(uv_loop_t* loop, std::function<void()> callback) : callback_(std::move(callback)) {
    uv_timer_init(loop, handle_.get());
    handle_.get()->data = this;
  }
  void enable(Millis delay) override {
    uv_timer_start(handle_.get(), &UvTimer::on_fire, static_cast<uint64_t>(std::max<Millis::rep>(0, delay.count())), 0);
  }
  void disable() override { uv_timer_stop(handle_.get()); }
  bool enabled() const override { return uv_is_active(handle_.base()) != 0; }

 private:
  static void on_fire(uv_timer_t* handle) noexcept {
    auto* self = static_cast<UvTimer*>(handle->data);
    if (!self) return;
    try {
      self->callback_();
    } catch (...) {
      std::fprintf(stderr, "prober: a timer callback threw\n");
    }
  }
  std::function<void()> callback_;
  io::UvHandle<uv_timer_t> handle_;
};

}  // namespace

UvClock::UvClock(uv_loop_t* loop) : loop_(loop) {
  auto wall = std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch());
  epoch_offset_ = wall - Millis(uv_now(loop_));
}

Millis UvClock::now() const { return epoch_offset_ + Millis(uv_now(loop_)); }

std::unique_ptr<Timer> UvTimerFactory::create(std::function<void()> callback) {
  return std::make_unique<UvTimer>(loop_, std::move(callback));
}

}  // namespace prober::scheduler
