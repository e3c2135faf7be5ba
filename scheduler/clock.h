#pragma once
// Time as the scheduler sees it, injected so tests never sleep (Envoy's Event::Timer).
#include <chrono>
#include <functional>
#include <memory>

namespace prober::scheduler {

using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic milliseconds aligned to the Unix epoch at start: never jumps backwards, and the
  // same instant across vantages, so offsets can be coordinated.
  virtual Millis now() const = 0;
};

class Timer {
 public:
  virtual ~Timer() = default;
  virtual void enable(Millis delay) = 0;  // re-arms when already enabled
  virtual void disable() = 0;
  virtual bool enabled() const = 0;
};

class TimerFactory {
 public:
  virtual ~TimerFactory() = default;
  virtual std::unique_ptr<Timer> create(std::function<void()> callback) = 0;
};

}  // namespace prober::scheduler
