#pragma once
// The agent's diagnoses: one when a monitor turns hard-failing, at most one per monitor per
// min_interval and max_concurrent at once, never in the way of the results (a diagnosis starts
// after the result was reported and reports on its own when it ends).
#include <uv.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "checks/check_env.h"
#include "config/config.h"
#include "diagnostics/diagnosis.h"
#include "io/uv_timer.h"

namespace prober::diagnostics {

class DiagnosisRunner {
 public:
  using Millis = std::chrono::milliseconds;
  // `diagnosed`: the class of the result that was diagnosed.
  using Report = std::function<void(const std::string& monitor, checks::FailureClass diagnosed,
                                    std::vector<checks::Diagnostic> diagnostics)>;
  enum class Offer { kStarted, kDisabled, kNothingFits, kRunning, kRateLimited, kBusy };

  DiagnosisRunner(uv_loop_t* loop, checks::CheckEnv env, Report report);
  DiagnosisRunner(const DiagnosisRunner&) = delete;
  DiagnosisRunner& operator=(const DiagnosisRunner&) = delete;

  // A monitor turned hard-failing with `worst` at `now` (the agent's clock): diagnose it if the
  // policy allows.
  Offer offer(const config::DiagnosticsConfig& policy, const config::MonitorConfig& monitor,
              const checks::CheckResult& worst, Millis now);
  void forget(const std::string& monitor);  // removed: its diagnosis stops, unreported
  std::size_t running() const { return running_.size(); }

 private:
  void finished(const std::string& monitor, checks::FailureClass diagnosed, std::vector<checks::Diagnostic> found);

  uv_loop_t* loop_;
  checks::CheckEnv env_;
  Report report_;
  std::map<std::string, std::unique_ptr<Diagnosis>> running_;
  std::map<std::string, Millis> last_started_;
  std::vector<std::unique_ptr<Diagnosis>> ended_;  // freed by reaper_, outside their callbacks
  io::UvTimer reaper_;
};

std::string_view to_string(DiagnosisRunner::Offer offer);

}  // namespace prober::diagnostics
