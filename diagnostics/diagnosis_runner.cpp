#include "diagnostics/diagnosis_runner.h"

#include "diagnostics/plan.h"

namespace prober::diagnostics {

DiagnosisRunner::DiagnosisRunner(uv_loop_t* loop, checks::CheckEnv env, Report report)
    : loop_(loop), env_(env), report_(std::move(report)), reaper_(loop, [this] { ended_.clear(); }) {}

DiagnosisRunner::Offer DiagnosisRunner::offer(const config::DiagnosticsConfig& policy,
                                              const config::MonitorConfig& monitor, const checks::CheckResult& worst,
                                              Millis now) {
  if (!policy.enabled) return Offer::kDisabled;
  Plan plan = plan_for(monitor, worst, false);
  if (plan.empty()) return Offer::kNothingFits;
  if (running_.count(monitor.name)) return Offer::kRunning;
  auto last = last_started_.find(monitor.name);
  if (last != last_started_.end() && now - last->second < policy.min_interval) return Offer::kRateLimited;
  if (running_.size() >= static_cast<std::size_t>(policy.max_concurrent)) return Offer::kBusy;
  last_started_[monitor.name] = now;
  auto diagnosis =
      std::make_unique<Diagnosis>(loop_, env_, monitor, worst, plan, DiagnosisLimits{policy.timeout, policy.max_hops});
  Diagnosis& started = *diagnosis;
  running_[monitor.name] = std::move(diagnosis);
  started.start([this, name = monitor.name, diagnosed = worst.failure.failure_class](
                    std::vector<checks::Diagnostic> found) { finished(name, diagnosed, std::move(found)); });
  return Offer::kStarted;
}

void DiagnosisRunner::finished(const std::string& monitor, checks::FailureClass diagnosed,
                               std::vector<checks::Diagnostic> found) {
  auto it = running_.find(monitor);
  if (it == running_.end()) return;
  ended_.push_back(std::move(it->second));
  running_.erase(it);
  reaper_.start(0, 0);
  report_(monitor, diagnosed, std::move(found));
}

void DiagnosisRunner::forget(const std::string& monitor) {
  last_started_.erase(monitor);
  auto it = running_.find(monitor);
  if (it == running_.end()) return;
  ended_.push_back(std::move(it->second));  // destroyed from the loop, never inside a callback of its own
  running_.erase(it);
  reaper_.start(0, 0);
}

std::string_view to_string(DiagnosisRunner::Offer offer) {
  switch (offer) {
    case DiagnosisRunner::Offer::kStarted:
      return "started";
    case DiagnosisRunner::Offer::kDisabled:
      return "disabled";
    case DiagnosisRunner::Offer::kNothingFits:
      return "nothing_fits";
    case DiagnosisRunner::Offer::kRunning:
      return "running";
    case DiagnosisRunner::Offer::kRateLimited:
      return "rate_limited";
    case DiagnosisRunner::Offer::kBusy:
      return "busy";
  }
  return "unknown";
}

}  // namespace prober::diagnostics
