#pragma once
// The last step of every run, whoever ran it: timed-out probes get the run's elapsed time and a
// detail naming the deadline, then every result is explained.
#include <chrono>
#include <cstdint>
#include <vector>

#include "checks/check_result.h"

namespace prober::scheduler {

void finish_results(std::vector<checks::CheckResult>& results, bool timed_out, checks::Micros elapsed,
                    std::chrono::milliseconds timeout);
// A deadline that fires this late or later means the loop was held up (the process paused or
// short of CPU), not that the target was slow.
constexpr std::chrono::milliseconds kHeldUp{250};
// One run's deadline against the agent's own hold-ups, for every runner (a fresh one per run).
// Answers that came while the agent was held up wait unread in its sockets, and cancelling at a
// late deadline would report the target as timed out for the agent's hold-up (a false alert).
class HeldUpDeadline {
 public:
  HeldUpDeadline() = default;
  // `held_up`: the agent's hold-ups so far (checks::HoldUps), when the run starts.
  explicit HeldUpDeadline(std::chrono::milliseconds held_up) : held_at_start_(held_up) {}
  // The deadline fired `late`, the agent's hold-ups so far being `held_up`: how long to put it
  // off — the longer of its lateness and the hold-ups during the run, at most `timeout`, once;
  // zero: the run times out now.
  std::chrono::milliseconds put_off(std::chrono::milliseconds late, std::chrono::milliseconds timeout,
                                    std::chrono::milliseconds held_up = std::chrono::milliseconds(0));
  // When the agent was held up during the run (its deadline came late, or `held_up`, the hold-ups
  // so far at its end, grew by kHeldUp or more), each result says so: its timings include that.
  void annotate(std::vector<checks::CheckResult>& results, std::chrono::milliseconds held_up) const;

 private:
  // Kept for every monitor: 32-bit spans (24 days) where 64 bits would only add memory.
  using Span = std::chrono::duration<std::int32_t, std::milli>;
  std::chrono::milliseconds held_at_start_{0};
  Span seen_{0};  // the hold-up seen when the deadline was put off
  Span put_off_{0};
};

}  // namespace prober::scheduler
