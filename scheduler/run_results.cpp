#include "scheduler/run_results.h"

#include <algorithm>
#include <string>

#include "checks/explain.h"
#include "checks/findings.h"
#include "checks/timings.h"

namespace prober::scheduler {

void finish_results(std::vector<checks::CheckResult>& results, bool timed_out, checks::Micros elapsed,
                    std::chrono::milliseconds timeout) {
  if (timed_out) {
    for (auto& r : results) {
      if (!r.deadline_hit) continue;
      r.timings.total = elapsed;  // a timed-out probe lasted exactly as long as the run had
      if (r.detail == "deadline reached") r.detail = "deadline of " + std::to_string(timeout.count()) + " ms reached";
    }
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  for (auto& r : results) checks::add_certificate_findings(r, now.count());
  checks::explain(results);
}

std::chrono::milliseconds HeldUpDeadline::put_off(std::chrono::milliseconds late, std::chrono::milliseconds timeout) {
  if (late_.count() > 0 || late < kHeldUp) return std::chrono::milliseconds(0);
  late_ = late;
  return std::min(late, timeout);
}

void HeldUpDeadline::annotate(std::vector<checks::CheckResult>& results) const {
  if (late_.count() == 0) return;
  // The deadline's lateness is what the agent can see of the hold-up: at least that long.
  std::string hint = "prober itself was held up for at least " + checks::format_ms(static_cast<double>(late_.count())) +
                     " during this check (its process paused or short of CPU): the deadline was "
                     "put off by that much, and the timings include the hold-up";
  for (auto& r : results) r.hints.push_back(hint);
}

}  // namespace prober::scheduler
