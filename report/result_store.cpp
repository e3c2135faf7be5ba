#include "report/result_store.h"


namespace prober::report {

void ResultStore::record(const std::string& monitor, std::string results_json, bool failed,
                         std::chrono::system_clock::time_point now) {
  Entry& e = entries_[monitor];
  e.last = std::move(results_json);
  if (failed) {
    e.last_failure = e.last;
    e.failed_at = now;
  }
}

void ResultStore::forget(const std::string& monitor) { entries_.erase(monitor); }

nlohmann::json ResultStore::to_json(std::chrono::system_clock::time_point now) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, e] : entries_) {
    bool keep = !e.last_failure.empty() && now - e.failed_at < kKeepFailures;
    out[name] = {{"last", nlohmann::json::parse(e.last)},
                 {"last_failure", keep ? nlohmann::json::parse(e.last_failure) : nlohmann::json(nullptr)}};
  }
  return out;
}

}  // namespace prober::report
