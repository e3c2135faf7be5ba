#pragma once
// What every sink receives: one monitor run, after alert state and vantage health were applied.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerting/alert_state.h"
#include "checks/check_result.h"
#include "config/monitor_config.h"
#include "report/probe_metrics.h"

namespace prober::report {

struct Vantage {
  std::string name;
  std::string region;
  std::map<std::string, std::string> labels;
};

struct MonitorRun {
  const config::MonitorConfig& monitor;
  const std::vector<checks::CheckResult>& results;
  const std::vector<std::string>& lines;     // each result as one line of CheckResult JSON (with vantage, region, seq)
  const std::vector<std::uint64_t>& seqs;    // each result's seq
  const std::vector<ProbeSample>& samples;   // the probe_* series of /metrics; empty unless a sink wants_samples()
  const checks::CheckResult& worst;          // the result that speaks for the run
  const alerting::MonitorAlertState& state;  // after this run
  std::optional<alerting::HardTransition> transition;
  std::int64_t at_ms;  // when the run finished
};

// What a diagnosis found after a monitor turned hard-failing. It ends after the run it diagnosed
// went out: sinks that hold an alert open (Alertmanager) add it there; the monitor's next result
// carries it too (CheckResult.diagnostics), for the sinks that send results.
struct DiagnosisReport {
  const std::string& monitor;
  const std::vector<checks::Diagnostic>& diagnostics;
  std::int64_t at_ms;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void on_run(const MonitorRun& run) = 0;
  // Whether on_run reads run.samples (built only then: most sinks send results, not series).
  virtual bool wants_samples() const { return false; }
  virtual void on_diagnosis(const DiagnosisReport& /*report*/) {}
  // The vantage's own series (prober_vantage_healthy, ...), offered every few seconds.
  virtual void on_vantage_samples(const std::vector<ProbeSample>&, std::int64_t /*at_ms*/) {}
  // The monitor set changed (reload); `names` is the new set.
  virtual void on_monitors(const std::vector<const config::MonitorConfig*>& /*monitors*/) {}
  virtual void on_monitor_removed(const std::string& /*monitor*/) {}
  // Shutdown: deliver what can be delivered now; `done` once finished or given up.
  virtual void drain(std::function<void()> done) { done(); }
};

}  // namespace prober::report
