#pragma once
// A clock that moves only when told, and timers that fire in deadline order as it moves.
#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "scheduler/clock.h"

namespace prober::testing {

using scheduler::Millis;

class FakeClock final : public scheduler::Clock {
 public:
  Millis now() const override { return now_; }
  Millis now_{0};
};

class FakeTimerFactory final : public scheduler::TimerFactory {
 public:
  class FakeTimer final : public scheduler::Timer {
   public:
    FakeTimer(FakeTimerFactory& owner, std::function<void()> cb) : owner_(owner), callback(std::move(cb)) {}
    ~FakeTimer() override { owner_.forget(this); }
    void enable(Millis delay) override {
      armed_for = delay;
      deadline = owner_.clock_.now_ + std::max(Millis(0), delay);
      active = true;
    }
    void disable() override { active = false; }
    bool enabled() const override { return active; }
    FakeTimerFactory& owner_;
    std::function<void()> callback;
    Millis deadline{0};
    Millis armed_for{0};
    bool active = false;
  };

  explicit FakeTimerFactory(FakeClock& clock) : clock_(clock) {}
  std::unique_ptr<scheduler::Timer> create(std::function<void()> cb) override {
    auto t = std::make_unique<FakeTimer>(*this, std::move(cb));
    timers_.push_back(t.get());
    return t;
  }
  // Moves time forward by `by`, firing every timer that comes due, earliest first.
  void advance(Millis by) {
    Millis target = clock_.now_ + by;
    while (true) {
      FakeTimer* next = nullptr;
      for (auto* t : timers_) {
        if (t->active && t->deadline <= target && (!next || t->deadline < next->deadline)) next = t;
      }
      if (!next) break;
      clock_.now_ = std::max(clock_.now_, next->deadline);
      next->active = false;
      next->callback();
    }
    clock_.now_ = target;
  }
  // Moves time forward by `by` without firing anything, as a loop held up (a paused process):
  // what came due fires at the next advance(), late.
  void hold_up(Millis by) { clock_.now_ += by; }
  void forget(FakeTimer* t) { timers_.erase(std::remove(timers_.begin(), timers_.end(), t), timers_.end()); }

 private:
  FakeClock& clock_;
  std::vector<FakeTimer*> timers_;
};

}  // namespace prober::testing
