#include "scheduler/one_shot_runner.h"

#include <cstdio>

#include "checks/timings.h"
#include "scheduler/run_results.h"

namespace prober::scheduler {

OneShotRunner::OneShotRunner(uv_loop_t* loop, HoldUpWatch* hold_ups) : deadline_(loop), hold_ups_(hold_ups) {}

void OneShotRunner::run(const checks::Check& check, std::chrono::milliseconds timeout, Done done) {
  done_ = std::move(done);
  timeout_ = timeout;
  hold_up_ = HeldUpDeadline(held_up());
  if (hold_ups_) watching_ = HoldUpWatch::Watching(*hold_ups_);
  started_ns_ = uv_hrtime();
  deadline_.start(static_cast<uint64_t>(timeout.count()), 0, [this] { on_deadline(); });
  run_ = check.start([this](std::vector<checks::CheckResult> results) { finish(std::move(results), false); });
}

void OneShotRunner::on_deadline() noexcept {
  if (!run_ || !done_) return;
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(checks::since(started_ns_));
  auto late = elapsed - timeout_;
  if (auto more = hold_up_.put_off(late, timeout_, held_up()); more.count() > 0) {
    deadline_.start(static_cast<uint64_t>(more.count()), 0, [this] { on_deadline(); });
    return;
  }
  try {
    finish(run_->cancel(), true);
  } catch (...) {
    std::fprintf(stderr, "prober: failed to report a timed-out check\n");
  }
}

void OneShotRunner::finish(std::vector<checks::CheckResult> results, bool timed_out) {
  if (!done_) return;
  deadline_.stop();
  finish_results(results, timed_out, checks::since(started_ns_), timeout_);
  hold_up_.annotate(results, held_up());
  watching_ = {};
  auto done = std::move(done_);
  done(std::move(results));
}

}  // namespace prober::scheduler
