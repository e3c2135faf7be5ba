#include "report/result_store.h"

#include "checks/check_result_json.h"

namespace prober::report {

void ResultStore::record(const std::string& monitor, const std::vector<checks::CheckResult>& results,
                         std::chrono::system_clock::time_point now) {
  nlohmann::json list = nlohmann::json::array();
  bool failed = false;
  for (const auto& r : results) {
    list.push_back(checks::to_json(r));
    failed = failed || r.failure.failure_class != checks::FailureClass::kOk;
  }
  Entry& e = entries_[monitor];
  e.last = list;
  if (failed) {
    e.last_failure = list;
    e.failed_at = now;
  }
}

void ResultStore::forget(const std::string& monitor) { entries_.erase(monitor); }

nlohmann::json ResultStore::to_json(std::chrono::system_clock::time_point now) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, e] : entries_) {
    bool keep = !e.last_failure.is_null() && now - e.failed_at < kKeepFailures;
    out[name] = {{"last", e.last}, {"last_failure", keep ? e.last_failure : nlohmann::json(nullptr)}};
  }
  return out;
}

}  // namespace prober::report
