#pragma once
// The last step of every run, whoever ran it: timed-out probes get the run's elapsed time and a
// detail naming the deadline, then every result is explained.
#include <chrono>
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
  // The deadline fired `late`: how long to put it off — its lateness, at most `timeout`, once;
  // zero: the run times out now.
  std::chrono::milliseconds put_off(std::chrono::milliseconds late, std::chrono::milliseconds timeout);
  // When the deadline was put off, each result says the agent was held up (for at least that
  // long), since its timings include that time.
  void annotate(std::vector<checks::CheckResult>& results) const;

 private:
  std::chrono::milliseconds late_{0};  // how late the deadline came, once put off
};

}  // namespace prober::scheduler
