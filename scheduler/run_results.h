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
// How long to put off a run's deadline that fired `late`: answers that came while the agent was
// held up wait unread in its sockets, and cancelling now would report the target as timed out
// for the agent's own hold-up (a false alert). Its lateness, at most `timeout`, once (`already`:
// it was put off before); zero: keep the deadline.
std::chrono::milliseconds held_up_extension(std::chrono::milliseconds late, std::chrono::milliseconds timeout,
                                            bool already);
// The run's deadline came `late` because the agent was held up, and was put off: each result
// says so, since its timings include that time.
void add_held_up_hint(std::vector<checks::CheckResult>& results, std::chrono::milliseconds late);

}  // namespace prober::scheduler
