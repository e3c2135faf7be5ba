#pragma once
// The last step of every run, whoever ran it: timed-out probes get the run's elapsed time and a
// detail naming the deadline, then every result is explained.
#include <chrono>
#include <vector>

#include "checks/check_result.h"

namespace prober::scheduler {

void finish_results(std::vector<checks::CheckResult>& results, bool timed_out, checks::Micros elapsed,
                    std::chrono::milliseconds timeout);
// The run's deadline came `late` because the agent was held up, and was extended: each result
// says so, since its timings include that time.
void add_held_up_hint(std::vector<checks::CheckResult>& results, std::chrono::milliseconds late);

}  // namespace prober::scheduler
