#pragma once
// The agent's hold-ups as a timer sees them. While any run is in flight a timer beats every
// kBeat, so the loop never waits longer than that for I/O; a beat that comes kHeldUp or more
// late, or is that overdue when asked, means the loop did not run for that long. A late deadline
// shows a hold-up only when one comes due during it; a run that finishes with its answer read
// late after a pause would otherwise report the pause as the target's time.
#include <memory>

#include "checks/hold_ups.h"
#include "scheduler/clock.h"

namespace prober::scheduler {

class HoldUpWatch final : public checks::HoldUps {
 public:
  static constexpr Millis kBeat{100};

  HoldUpWatch(const Clock& clock, TimerFactory& timers);
  HoldUpWatch(const HoldUpWatch&) = delete;
  HoldUpWatch& operator=(const HoldUpWatch&) = delete;

  // The watch beats while any Watching lives: a runner holds one while a run is in flight.
  class Watching {
   public:
    Watching() = default;
    explicit Watching(HoldUpWatch& watch);
    Watching(Watching&& other) noexcept : watch_(other.watch_) { other.watch_ = nullptr; }
    Watching& operator=(Watching&& other) noexcept;
    Watching(const Watching&) = delete;
    Watching& operator=(const Watching&) = delete;
    ~Watching() { release(); }
    explicit operator bool() const { return watch_ != nullptr; }

   private:
    void release() noexcept;
    HoldUpWatch* watch_ = nullptr;
  };

  Millis held_up() const override;

 private:
  void begin();
  void end() noexcept;
  void on_beat();
  Millis overdue() const;  // how long past its beat the loop is now, once that counts as held up

  const Clock& clock_;
  std::unique_ptr<Timer> beat_;
  Millis due_{0};    // the next beat
  Millis total_{0};  // the hold-ups of the beats so far
  int watching_ = 0;
};

}  // namespace prober::scheduler
