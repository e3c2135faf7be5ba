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

std::chrono::milliseconds HeldUpDeadline::put_off(std::chrono::milliseconds late, std::chrono::milliseconds timeout,
                                                  std::chrono::milliseconds held_up) {
  auto seen = std::max(late, held_up - held_at_start_);
  if (put_off_.count() > 0 || seen < kHeldUp) return std::chrono::milliseconds(0);
  put_off_ = std::chrono::duration_cast<Span>(std::min(seen, timeout));
  seen_ = std::chrono::duration_cast<Span>(std::min(seen, std::chrono::milliseconds(INT32_MAX)));  // 24 days
  return put_off_;
}

void HeldUpDeadline::annotate(std::vector<checks::CheckResult>& results, std::chrono::milliseconds held_up) const {
  // What the agent can see of a hold-up is a lateness, its own beat's or the deadline's: the
  // hold-up lasted at least that long.
  auto during = std::max<std::chrono::milliseconds>(seen_, held_up - held_at_start_);
  if (during < kHeldUp) return;
  auto ms = [](std::chrono::milliseconds d) { return checks::format_ms(static_cast<double>(d.count())); };
  std::string hint = "prober itself was held up for at least " + ms(during) +
                     " during this check (its process paused or short of CPU): " +
                     (put_off_.count() > 0 ? "the deadline was put off by " + ms(put_off_) + ", and " : std::string()) +
                     "the timings include the hold-up";
  for (auto& r : results) r.hints.push_back(hint);
}

}  // namespace prober::scheduler
