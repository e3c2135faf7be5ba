#pragma once
// A run's results as blackbox_exporter-compatible gauges plus prober's own (DESIGN.md §9).
#include <string>
#include <vector>

#include "checks/check_result.h"
#include "report/metrics_registry.h"

namespace prober::report {

void declare_probe_metrics(MetricsRegistry& registry);
// Sets the per-monitor gauges of one run. `base` labels every series (empty for /probe, where
// Prometheus adds the target itself); `per_address` adds an address label (ip_version each).
void record_probe_metrics(MetricsRegistry& registry, const Labels& base, const std::vector<checks::CheckResult>& results,
                          bool per_address);

}  // namespace prober::report
