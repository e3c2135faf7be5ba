#pragma once
// Runs the follow-ups a failed result calls for (plan.h) at once, under one deadline, and hands
// back what each found. Bounded: every step has the deadline; DNS asks at most 8 servers, the
// path at most max_hops probes, TLS four handshakes, HTTP one request under the monitor's body
// limit. Never part of the check: the result is reported first, the diagnosis follows it.
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "checks/check_env.h"
#include "config/monitor_config.h"
#include "diagnostics/plan.h"
#include "diagnostics/step.h"
#include "io/uv_timer.h"

namespace prober::diagnostics {

struct DiagnosisLimits {
  std::chrono::milliseconds timeout{10000};  // the whole diagnosis
  int max_hops = 20;                         // the path's probes
};

class Diagnosis {
 public:
  using Done = std::function<void(std::vector<checks::Diagnostic>)>;
  Diagnosis(uv_loop_t* loop, checks::CheckEnv env, const config::MonitorConfig& monitor, checks::CheckResult result,
            const Plan& plan, DiagnosisLimits limits);
  Diagnosis(const Diagnosis&) = delete;
  Diagnosis& operator=(const Diagnosis&) = delete;
  ~Diagnosis();  // stops every step; `done` is not called after

  // `done` once, from the loop, with one diagnostic per step in the plan's order. Do not destroy
  // the diagnosis inside `done`.
  void start(Done done);

 private:
  void step_done(std::size_t index, checks::Diagnostic d);
  void finish();

  uv_loop_t* loop_;
  checks::CheckEnv env_;
  const config::MonitorConfig monitor_;  // a copy: a reload may drop the monitor while this runs
  checks::CheckResult result_;
  Plan plan_;
  DiagnosisLimits limits_;
  Done done_;
  std::vector<std::unique_ptr<Step>> steps_;
  std::vector<std::optional<checks::Diagnostic>> found_;
  std::size_t pending_ = 0;
  io::UvTimer deadline_;
};

}  // namespace prober::diagnostics
