#include "report/probe_metrics.h"

#include <algorithm>

#include "checks/timings.h"

namespace prober::report {
namespace {

double seconds(const std::optional<checks::Micros>& d) { return d ? static_cast<double>(d->count()) / 1e6 : 0.0; }

std::string tls_version_label(const std::string& openssl) {  // "TLSv1.3" -> "TLS 1.3"
  return openssl.rfind("TLSv", 0) == 0 ? "TLS " + openssl.substr(4) : openssl;
}

}  // namespace

void declare_probe_metrics(MetricsRegistry& r) {
  using K = MetricsRegistry::Kind;
  r.declare("probe_dns_lookup_time_seconds", K::kGauge, "Returns the time taken for probe dns lookup in seconds");
  r.declare("probe_duration_seconds", K::kGauge, "Returns how long the probe took to complete in seconds");
  r.declare("probe_http_duration_seconds", K::kGauge, "Duration of http request by phase, summed over all redirects");
  r.declare("probe_http_status_code", K::kGauge, "Response HTTP status code");
  r.declare("probe_http_version", K::kGauge, "Returns the version of HTTP of the probe response");
  r.declare("probe_http_redirects", K::kGauge, "The number of redirects");
  r.declare("probe_http_content_length", K::kGauge, "Length of http content response, -1 when unknown");
  r.declare("probe_failed_due_to_regex", K::kGauge, "Indicates if probe failed due to regex");
  r.declare("probe_ssl_earliest_cert_expiry", K::kGauge, "Returns last SSL chain expiry in unixtime");
  r.declare("probe_ssl_last_chain_expiry_timestamp_seconds", K::kGauge,
            "Returns the timestamp of the next expiring certificate in the verified chain");
  r.declare("probe_tls_version_info", K::kGauge, "Returns the TLS version used or NaN when unknown");
  r.declare("probe_ip_protocol", K::kGauge, "Specifies whether probe ip protocol is IP4 or IP6");
  r.declare("probe_status", K::kGauge, "Result severity: 0 ok, 1 warning, 2 critical, 3 unknown");
  r.declare("probe_failure_info", K::kGauge, "The failure class and phase of the last run (1 while current)");
  r.declare("probe_success", K::kGauge, "Displays whether or not the probe was a success");
}

std::vector<ProbeSample> probe_samples(const Labels& base, const std::vector<checks::CheckResult>& results,
                                       bool per_address) {
  std::vector<ProbeSample> out;
  out.reserve(results.size() * 20);
  auto set = [&out](const char* name, const Labels& l, double v) { out.push_back({name, l, v, false, {}}); };
  auto info = [&out](const char* name, const Labels& l, Labels extra) {
    out.push_back({name, l, 1, true, std::move(extra)});
  };
  for (const auto& r : results) {
    Labels l = base;
    if (per_address && !r.address.empty()) l["address"] = r.address;

    bool success = r.failure.severity == checks::Severity::kOk || r.failure.severity == checks::Severity::kWarning;
    set("probe_success", l, success ? 1 : 0);
    set("probe_status", l, static_cast<double>(r.failure.severity));
    set("probe_duration_seconds", l, seconds(r.timings.total));
    set("probe_dns_lookup_time_seconds", l, seconds(r.timings.dns));
    if (r.ip_version) set("probe_ip_protocol", l, r.ip_version);
    if (r.failure.failure_class != checks::FailureClass::kOk) {
      info("probe_failure_info", l,
           {{"class", std::string(to_string(r.failure.failure_class))},
            {"phase", std::string(to_string(r.failure.phase))}});
    } else {
      info("probe_failure_info", l, {});
    }
    if (r.type == "http") {
      const auto& t = r.timings;
      const std::pair<const char*, std::optional<checks::Micros>> phases[] = {
          {"resolve", t.dns}, {"connect", t.connect}, {"tls", t.tls}, {"processing", t.ttfb}, {"transfer", t.transfer}};
      for (const auto& [phase, d] : phases) {
        Labels p = l;
        p["phase"] = phase;
        set("probe_http_duration_seconds", p, seconds(d));
      }
      set("probe_http_status_code", l, r.http.status.value_or(0));
      double version = r.http.version == "2" ? 2.0 : r.http.version == "1.0" ? 1.0 : r.http.version ? 1.1 : 0.0;
      set("probe_http_version", l, version);
      set("probe_http_redirects", l, static_cast<double>(r.http.redirects.size()));
      set("probe_http_content_length", l, static_cast<double>(r.http.content_length.value_or(-1)));
      bool regex = r.failure.failure_class == checks::FailureClass::kHttpBodyMismatch ||
                   r.failure.failure_class == checks::FailureClass::kHttpHeaderMismatch;
      set("probe_failed_due_to_regex", l, regex ? 1 : 0);
    }
    if (auto earliest = checks::earliest_expiry(r.tls.chain)) set("probe_ssl_earliest_cert_expiry", l, *earliest);
    if (auto verified = checks::earliest_expiry(r.tls.verified_chain)) {
      set("probe_ssl_last_chain_expiry_timestamp_seconds", l, *verified);
    }
    info("probe_tls_version_info", l,
         r.tls.version ? Labels{{"version", tls_version_label(*r.tls.version)}} : Labels{});
  }
  return out;
}

void record_samples(MetricsRegistry& reg, const std::vector<ProbeSample>& samples) {
  for (const auto& s : samples) {
    if (s.is_info)
      reg.set_info(s.name, s.labels, s.info);
    else
      reg.set(s.name, s.labels, s.value);
  }
}

void record_probe_metrics(MetricsRegistry& reg, const Labels& base, const std::vector<checks::CheckResult>& results,
                          bool per_address) {
  record_samples(reg, probe_samples(base, results, per_address));
}

}  // namespace prober::report
