#pragma once
// A run's results as blackbox_exporter-compatible gauges plus prober's own (DESIGN.md §9).
#include <string>
#include <vector>

#include "checks/check_result.h"
#include "report/metrics_registry.h"

namespace prober::report {

// One series' value. `info` series (probe_failure_info, probe_tls_version_info) carry their
// changing labels in `info`: the registry replaces the previous info series of the same labels.
struct ProbeSample {
  std::string name;
  Labels labels;
  double value = 0;
  bool is_info = false;
  Labels info;  // empty for an info series means "none now"
};

void declare_probe_metrics(MetricsRegistry& registry);
// The per-monitor series of one run, for /metrics and remote write alike.
std::vector<ProbeSample> probe_samples(const Labels& base, const std::vector<checks::CheckResult>& results,
                                       bool per_address);
void record_samples(MetricsRegistry& registry, const std::vector<ProbeSample>& samples);
// The same series as probe_samples, set in the registry directly: each result's labels rendered
// once (the agent's path for every run; probe_samples is built only for a sink that sends them).
// `base` labels every series (empty for /probe, where Prometheus adds the target itself);
// `per_address` adds an address label (ip_version each).
void record_probe_series(MetricsRegistry& registry, const Labels& base, const std::vector<checks::CheckResult>& results,
                         bool per_address);

}  // namespace prober::report
