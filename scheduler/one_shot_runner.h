#pragma once
// Runs one check once with a deadline armed here, outside the check (the scheduler's rule):
// at the deadline the check is cancelled and its unfinished probes are classified by phase.
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "checks/check.h"
#include "io/uv_handle.h"

namespace prober::scheduler {

class OneShotRunner {
 public:
  using Done = std::function<void(std::vector<checks::CheckResult>)>;
  OneShotRunner(uv_loop_t* loop, checks::RunContext& ctx);
  OneShotRunner(const OneShotRunner&) = delete;
  OneShotRunner& operator=(const OneShotRunner&) = delete;

  // Runs `check` (kept alive by the caller); `done` gets the explained results, once.
  void run(checks::Check& check, std::chrono::milliseconds timeout, Done done);

 private:
  static void on_deadline(uv_timer_t* timer) noexcept;
  void finish(std::vector<checks::CheckResult> results, bool timed_out);

  checks::RunContext& ctx_;
  io::UvHandle<uv_timer_t> deadline_;
  checks::Check* check_ = nullptr;
  Done done_;
  std::chrono::milliseconds timeout_{0};
  std::uint64_t started_ns_ = 0;
};

}  // namespace prober::scheduler
