#pragma once
// Whether this vantage point can be trusted: its control checks (vantage.control) test the
// vantage itself (its DNS, its route out). When more than half of them fail, every other
// result says more about the vantage than about the target, and becomes unknown /
// vantage_unhealthy with the underlying class kept. Each control check counts by its latest
// run; one not run yet counts as passing.
#include <map>
#include <string>
#include <vector>

#include "checks/check_result.h"

namespace prober::alerting {

class VantageHealth {
 public:
  explicit VantageHealth(const std::vector<std::string>& control = {});

  bool is_control(const std::string& monitor) const { return failing_.count(monitor) > 0; }
  // Records a control monitor's run (critical or unknown is failing; a warning passes).
  // Returns true when the vantage's health changed.
  bool observe_control(const std::string& monitor, const std::vector<checks::CheckResult>& results);
  bool healthy() const { return failing_count() * 2 <= failing_.size(); }
  std::size_t failing_count() const;
  std::size_t control_count() const { return failing_.size(); }

  // Rewrites a non-control monitor's results while the vantage is unhealthy.
  void apply(std::vector<checks::CheckResult>& results) const;

 private:
  std::map<std::string, bool> failing_;  // control monitor -> its latest run failed
};

}  // namespace prober::alerting
