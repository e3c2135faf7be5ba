#include "report/series_shape.h"

#include "checks/cert_info.h"

namespace prober::report {

SeriesShape::SeriesShape(const std::vector<checks::CheckResult>& results, std::string target, bool per_address)
    : target_(std::move(target)), per_address_(per_address) {
  results_.reserve(results.size());
  for (const auto& r : results) {
    results_.push_back({r.type, r.address, r.tls.version.value_or(""), r.ip_version, r.failure.failure_class,
                        r.failure.phase, checks::earliest_expiry(r.tls.chain).has_value(),
                        checks::earliest_expiry(r.tls.verified_chain).has_value()});
  }
  results_.shrink_to_fit();
}

std::vector<ProbeSample> SeriesShape::samples(const std::string& monitor) const {
  if (results_.empty()) return {};
  // Results with only what each_probe_series reads to decide the series and their labels.
  std::vector<checks::CheckResult> results(results_.size());
  for (std::size_t i = 0; i < results_.size(); ++i) {
    const Result& shape = results_[i];
    checks::CheckResult& r = results[i];
    r.type = shape.type;
    r.address = shape.address;
    if (!shape.tls_version.empty()) r.tls.version = shape.tls_version;
    r.ip_version = shape.ip_version;
    r.failure.failure_class = shape.failure_class;
    r.failure.phase = shape.phase;
    if (shape.chain_expiry) r.tls.chain.resize(1);
    if (shape.verified_expiry) r.tls.verified_chain.resize(1);
  }
  return probe_samples(probe_base_labels(monitor, results, target_), results, per_address_);
}

}  // namespace prober::report
