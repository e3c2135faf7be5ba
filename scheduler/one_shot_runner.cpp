#include "scheduler/one_shot_runner.h"

#include <cstdio>

#include "checks/timings.h"
#include "scheduler/run_results.h"

namespace prober::scheduler {

OneShotRunner::OneShotRunner(uv_loop_t* loop) {
  uv_timer_init(loop, deadline_.get());
  deadline_.get()->data = this;
}

void OneShotRunner::run(const checks::Check& check, std::chrono::milliseconds timeout, Done done) {
  done_ = std::move(done);
  timeout_ = timeout;
  started_ns_ = uv_hrtime();
  uv_timer_start(deadline_.get(), &OneShotRunner::on_deadline, static_cast<uint64_t>(timeout.count()), 0);
  run_ = check.start([this](std::vector<checks::CheckResult> results) { finish(std::move(results), false); });
}

void OneShotRunner::on_deadline(uv_timer_t* timer) noexcept {
  auto* self = static_cast<OneShotRunner*>(timer->data);
  if (!self || !self->run_ || !self->done_) return;
  try {
    self->finish(self->run_->cancel(), true);
  } catch (...) {
    std::fprintf(stderr, "prober: failed to report a timed-out check\n");
  }
}

void OneShotRunner::finish(std::vector<checks::CheckResult> results, bool timed_out) {
  if (!done_) return;
  uv_timer_stop(deadline_.get());
  finish_results(results, timed_out, checks::since(started_ns_), timeout_);
  auto done = std::move(done_);
  done(std::move(results));
}

}  // namespace prober::scheduler
