#pragma once
// The production Clock and TimerFactory, on the libuv loop.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "io/uv_timer.h"

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

// Every timer it makes runs on one libuv timer, from a heap ordered by due time (ties: the one
// armed first fires first, as libuv's own). A monitor's timer is then a heap entry and a
// callback (~70 bytes) instead of a uv_timer_t and its wrapper (~230 bytes): 200 000 monitors
// are 200 000 timers.
class UvTimerFactory final : public TimerFactory {
 public:
  explicit UvTimerFactory(uv_loop_t* loop);
  UvTimerFactory(const UvTimerFactory&) = delete;
  UvTimerFactory& operator=(const UvTimerFactory&) = delete;
  ~UvTimerFactory() override;
  std::unique_ptr<Timer> create(std::function<void()> callback) override;
  void close() noexcept;  // before the loop closes; timers it made must be gone by then
  // Timers fired in one turn of the loop at most; the loop reads its sockets before the next
  // ones (a turn starting this many checks takes a few ms).
  static constexpr std::size_t kMaxFiredPerTurn = 128;

 private:
  class QueuedTimer;
  struct Slot {
    std::uint64_t due;  // uv_now() milliseconds
    std::uint64_t seq;  // arming order
    QueuedTimer* timer;
  };
  void push(QueuedTimer* t, std::uint64_t due);
  void remove(QueuedTimer* t);
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void place(std::size_t i, Slot slot);
  void rearm();
  void fire_due();

  uv_loop_t* loop_;
  std::vector<Slot> heap_;  // a binary min-heap on (due, seq)
  std::uint64_t next_seq_ = 0;
  std::unique_ptr<io::UvTimer> timer_;  // armed for heap_.front() when not empty
};

}  // namespace prober::scheduler
