// The agent's side of diagnostics: offer a diagnosis when a monitor turns hard-failing, and
// hand what it found to /results, the log and every sink when it ends.
#include "checks/check_result_json.h"
#include "prober/agent.h"
#include "prober/log.h"

namespace prober::cli {

void Agent::diagnose(const config::MonitorConfig& monitor, const checks::CheckResult& worst) {
  auto offer = diagnoses_->offer(config_.diagnostics, monitor, worst, clock_.now());
  registry_.add("prober_diagnoses_total", {{"outcome", std::string(to_string(offer))}});
}

void Agent::on_diagnosis(const std::string& monitor, checks::FailureClass diagnosed,
                         std::vector<checks::Diagnostic> diagnostics) {
  if (!monitor_named(monitor)) return;  // removed by a reload meanwhile
  auto now = std::chrono::system_clock::now();
  std::int64_t at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::string stored;
  checks::JsonWriter out(stored);
  out.begin_object();
  out.key("at").value(checks::iso8601(at_ms / 1000, static_cast<int>(at_ms % 1000)));
  out.key("class").value(to_string(diagnosed));
  checks::write_diagnostics(out.key("diagnostics"), diagnostics);
  out.end_object();
  store_.record_diagnosis(monitor, stored);
  std::string summary;
  for (const auto& d : diagnostics) summary += (summary.empty() ? "" : " | ") + d.kind + ": " + d.summary;
  Log::info("diagnosis", {{"monitor", monitor}, {"class", std::string(to_string(diagnosed))}, {"found", summary}});
  report::DiagnosisReport report{monitor, diagnostics, at_ms};
  for (auto& sink : sinks_) sink->on_diagnosis(report);
  undelivered_diagnoses_[monitor] = std::move(diagnostics);  // the monitor's next result carries them
}

void Agent::attach_diagnosis(const std::string& monitor, checks::CheckResult& worst) {
  auto it = undelivered_diagnoses_.find(monitor);
  if (it == undelivered_diagnoses_.end()) return;
  worst.diagnostics = std::move(it->second);
  undelivered_diagnoses_.erase(it);
}

}  // namespace prober::cli
