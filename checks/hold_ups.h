#pragma once
// How long the agent itself has been held up (its process stopped, or short of CPU): time that a
// check's timings include and that is not the target's.
#include <chrono>

namespace prober::checks {

class HoldUps {
 public:
  virtual ~HoldUps() = default;
  // The hold-ups of the agent's life summed, the one in progress included: a check reads it at
  // its start and at its end, and the difference happened while it ran.
  virtual std::chrono::milliseconds held_up() const = 0;
};

}  // namespace prober::checks
