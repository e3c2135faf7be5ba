#pragma once
// A run's results as blackbox_exporter-compatible gauges plus prober's own (DESIGN.md §9).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "checks/check_result.h"
#include "report/metrics_registry.h"

namespace prober::report {

// One series' value. A result's series share its labels; `own` are the series' labels besides
// them (they win over a shared label of the same name): a value's extra label (the phase), an info
// series' changing labels (probe_failure_info, probe_tls_version_info: the registry replaces the
// previous info series of the same shared labels; none `own` means "none now").
struct ProbeSample {
  std::string_view name;                 // a metric name with static storage
  std::shared_ptr<const Labels> labels;  // null: none
  double value = 0;
  bool is_info = false;
  Labels own;
};

void declare_probe_metrics(MetricsRegistry& registry);
// The labels every series of a monitor's run has: monitor, type (the first result's), target.
Labels probe_base_labels(const std::string& monitor, const std::vector<checks::CheckResult>& results,
                         const std::string& target);
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

// /probe's answer: the series record_probe_series would set in a registry holding nothing else,
// rendered as its exposition("probe_success") would render them, without building one per probe.
std::string probe_exposition(const std::vector<checks::CheckResult>& results, bool per_address);

}  // namespace prober::report
