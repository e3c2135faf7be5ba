#include "report/result_store.h"

#include "checks/check_result_json.h"

namespace prober::report {

void ResultStore::record(const std::string& monitor, std::string results_json, bool failed,
                         std::chrono::system_clock::time_point now) {
  results_json.shrink_to_fit();  // kept until the next run: without the slack its appends left
  Entry& e = entries_[monitor];
  if (failed) {
    std::string().swap(e.last_failure);  // `last` is the last failure now
    e.failed_at = now;
  } else if (e.last_failed) {
    e.last_failure = std::move(e.last);
  }
  e.last = std::move(results_json);
  e.last_failed = failed;
}

void ResultStore::record_diagnosis(const std::string& monitor, std::string diagnosis_json) {
  auto it = entries_.find(monitor);
  if (it == entries_.end()) return;
  diagnosis_json.shrink_to_fit();
  it->second.last_diagnosis = std::move(diagnosis_json);
}

void ResultStore::forget(const std::string& monitor) { entries_.erase(monitor); }

std::string ResultStore::to_text(std::chrono::system_clock::time_point now) const {
  // The stored texts are pasted in as they are: no parse and no re-serialisation per request.
  std::string out = "{";
  for (const auto& [name, e] : entries_) {
    const std::string& failure = e.last_failed ? e.last : e.last_failure;
    bool keep = !failure.empty() && now - e.failed_at < kKeepFailures;
    if (out.size() > 1) out += ",\n";
    out += checks::json_text(name) + ":{\"last\":" + e.last + ",\"last_failure\":" + (keep ? failure : "null") +
           ",\"last_diagnosis\":" + (e.last_diagnosis.empty() ? "null" : e.last_diagnosis) + "}";
  }
  return out + "}\n";
}

}  // namespace prober::report
