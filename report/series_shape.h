#pragma once
// What decides which probe_* series a monitor's run sent (not their values): its labels, which
// families each result has, an info series' labels. Remote write keeps one per monitor, ~a tenth
// of the run's encoded series, and writes the last run's series again from it when a run no
// longer sends some of them (their stale markers) or the monitor is removed.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checks/check_result.h"
#include "report/probe_metrics.h"

namespace prober::report {

class SeriesShape {
 public:
  SeriesShape() = default;
  // The shape of the series probe_samples(probe_base_labels(monitor, results, target), results,
  // per_address) gives.
  SeriesShape(const std::vector<checks::CheckResult>& results, std::string_view target, bool per_address);

  // Those series again (every value 0): the same label sets, in the same order.
  std::vector<ProbeSample> samples(const std::string& monitor) const;

 private:
  // One string, not a vector of structs of strings: remote write keeps one per monitor for as
  // long as it runs (~60 bytes instead of ~250). What it holds, each string as a varint length
  // and its bytes: per_address (a byte), the target, then per result its type, address and TLS
  // version and four bytes (IP version, failure class, phase, which chains had an expiry).
  std::string packed_;
};

}  // namespace prober::report
