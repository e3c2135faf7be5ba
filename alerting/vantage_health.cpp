#include "alerting/vantage_health.h"

#include <algorithm>

namespace prober::alerting {

VantageHealth::VantageHealth(const std::vector<std::string>& control) {
  for (const auto& name : control) failing_[name] = false;
}

std::size_t VantageHealth::failing_count() const {
  return static_cast<std::size_t>(
      std::count_if(failing_.begin(), failing_.end(), [](const auto& e) { return e.second; }));
}

bool VantageHealth::observe_control(const std::string& monitor, const std::vector<checks::CheckResult>& results) {
  auto it = failing_.find(monitor);
  if (it == failing_.end()) return false;
  bool was = healthy();
  it->second = std::any_of(results.begin(), results.end(), [](const checks::CheckResult& r) {
    return r.failure.severity == checks::Severity::kCritical || r.failure.severity == checks::Severity::kUnknown;
  });
  return was != healthy();
}

void VantageHealth::apply(std::vector<checks::CheckResult>& results) const {
  if (healthy()) return;
  std::string why = std::to_string(failing_count()) + " of " + std::to_string(failing_.size()) +
                    " control checks failing on this vantage";
  for (auto& r : results) {
    if (r.failure.failure_class == checks::FailureClass::kVantageUnhealthy) continue;
    r.underlying_class = r.failure.failure_class;
    r.failure.failure_class = checks::FailureClass::kVantageUnhealthy;
    r.failure.severity = checks::Severity::kUnknown;
    r.failure.retriable = false;
    r.message = "vantage unhealthy (" + why + "); this result says little about the target: " + r.message;
  }
}

}  // namespace prober::alerting
