#pragma once
// Runs one check once with a deadline armed here, outside the check (the scheduler's rule):
// at the deadline the run is cancelled and its unfinished probes are classified by phase — put
// off once when it came late because the agent was held up (run_results.h).
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "checks/check.h"
#include "io/uv_timer.h"
#include "scheduler/hold_up_watch.h"
#include "scheduler/run_results.h"

namespace prober::scheduler {

class OneShotRunner {
 public:
  using Done = std::function<void(std::vector<checks::CheckResult>)>;
  // `hold_ups`: watched during the run, so its result says when the agent itself was held up
  // (null: only a late deadline tells).
  explicit OneShotRunner(uv_loop_t* loop, HoldUpWatch* hold_ups = nullptr);
  OneShotRunner(const OneShotRunner&) = delete;
  OneShotRunner& operator=(const OneShotRunner&) = delete;

  // Runs `check` once; `done` gets the results with their timeouts applied, once. The run is
  // kept (and destroyed) with the runner, never inside its own completion.
  void run(const checks::Check& check, std::chrono::milliseconds timeout, Done done);

 private:
  void on_deadline() noexcept;
  void finish(std::vector<checks::CheckResult> results, bool timed_out);
  Millis held_up() const { return hold_ups_ ? hold_ups_->held_up() : Millis(0); }

  io::UvTimer deadline_;
  Done done_;
  std::chrono::milliseconds timeout_{0};
  std::uint64_t started_ns_ = 0;
  HeldUpDeadline hold_up_;
  HoldUpWatch* hold_ups_;
  HoldUpWatch::Watching watching_;         // while the run is in flight
  std::unique_ptr<checks::CheckRun> run_;  // declared last: destroyed first, stopping its I/O
};

}  // namespace prober::scheduler
