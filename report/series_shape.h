#pragma once
// What decides which probe_* series a monitor's run sent (not their values): its labels, which
// families each result has, an info series' labels. Remote write keeps one per monitor, ~a tenth
// of the run's encoded series, and writes the last run's series again from it when a run no
// longer sends some of them (their stale markers) or the monitor is removed.
#include <cstdint>
#include <string>
#include <vector>

#include "checks/check_result.h"
#include "report/probe_metrics.h"

namespace prober::report {

class SeriesShape {
 public:
  SeriesShape() = default;
  // The shape of the series probe_samples(probe_base_labels(monitor, results, target), results,
  // per_address) gives.
  SeriesShape(const std::vector<checks::CheckResult>& results, std::string target, bool per_address);

  // Those series again (every value 0): the same label sets, in the same order.
  std::vector<ProbeSample> samples(const std::string& monitor) const;

 private:
  struct Result {
    std::string type;
    std::string address;
    std::string tls_version;  // empty: none
    int ip_version = 0;
    checks::FailureClass failure_class = checks::FailureClass::kOk;
    checks::Phase phase = checks::Phase::kDns;
    bool chain_expiry = false;     // an earliest_expiry of the chain as sent
    bool verified_expiry = false;  // of the verified chain
  };
  std::string target_;
  std::vector<Result> results_;
  bool per_address_ = false;
};

}  // namespace prober::report
