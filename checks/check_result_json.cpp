#include "checks/check_result_json.h"

#include <ctime>

#include "checks/timings.h"

namespace prober::checks {
namespace {

using nlohmann::json;

json duration(const std::optional<Micros>& d) { return d ? json(to_ms(*d)) : json(nullptr); }

template <typename T>
json optional(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json timings(const Timings& t) {
  return {{"dns", duration(t.dns)},   {"connect", duration(t.connect)},   {"tls", duration(t.tls)},
          {"ttfb", duration(t.ttfb)}, {"transfer", duration(t.transfer)}, {"total", duration(t.total)}};
}

}  // namespace

std::string iso8601(std::int64_t unix_seconds, int millis) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = text;
  if (millis >= 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%03d", millis);
    out += frac;
  }
  return out + "Z";
}

json to_json(const CertInfo& c) {
  return {{"subject", c.subject},
          {"issuer", c.issuer},
          {"not_before", iso8601(c.not_before)},
          {"not_after", iso8601(c.not_after)},
          {"sha256", c.sha256},
          {"dns_names", c.dns_names},
          {"key", c.key_type + " " + std::to_string(c.key_bits)},
          {"signature", c.signature_algorithm}};
}

json diagnostics_json(const std::vector<Diagnostic>& diagnostics) {
  json out = json::array();
  for (const auto& d : diagnostics) out.push_back({{"kind", d.kind}, {"summary", d.summary}, {"details", d.details}});
  return out;
}

json to_json(const CheckResult& r) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(r.started_at.time_since_epoch()).count();
  json redirects = json::array();
  for (const auto& hop : r.http.redirects) {
    redirects.push_back({{"url", hop.url},
                         {"address", hop.address},
                         {"status", hop.status},
                         {"location", hop.location},
                         {"timings_ms", timings(hop.timings)}});
  }
  json chain = json::array();
  for (const auto& cert : r.tls.chain) chain.push_back(to_json(cert));
  json findings = json::array();
  for (const auto& f : r.findings) findings.push_back({{"class", to_string(f.failure_class)}, {"message", f.message}});
  auto earliest = earliest_expiry(r.tls.chain);
  json out = {
      {"monitor", r.monitor},
      {"type", r.type},
      {"target", r.target},
      {"started_at", iso8601(since_epoch / 1000, static_cast<int>(since_epoch % 1000))},
      {"address", r.address.empty() ? json(nullptr) : json(r.address)},
      {"ip_version", r.ip_version ? json(r.ip_version) : json(nullptr)},
      {"status", std::string(to_string(r.failure.severity))},
      {"class", std::string(to_string(r.failure.failure_class))},
      {"phase", r.failure.phase == Phase::kNone ? json(nullptr) : json(std::string(to_string(r.failure.phase)))},
      {"message", r.message},
      {"hints", r.hints},
      {"findings", findings},
      {"diagnostics", diagnostics_json(r.diagnostics)},
      {"detail", r.detail},
      {"timings_ms", timings(r.timings)},
      {"http",
       {{"status", optional(r.http.status)},
        {"version", optional(r.http.version)},
        {"redirects", redirects},
        {"final_url", optional(r.http.final_url)},
        {"content_length", r.http.content_length.value_or(-1) >= 0 ? json(*r.http.content_length) : json(nullptr)},
        {"body_bytes", r.http.body_bytes}}},
      {"tls",
       {{"version", optional(r.tls.version)},
        {"cipher", optional(r.tls.cipher)},
        {"alpn", optional(r.tls.alpn)},
        {"verify_result", optional(r.tls.verify_result)},
        {"verify_error", optional(r.tls.verify_error)},
        {"server_name", r.tls.server_name.empty() ? json(nullptr) : json(r.tls.server_name)},
        {"aia", optional(r.tls.aia_note)},
        {"client_certificate", r.tls.client_certificate_sent        ? json("sent")
                               : r.tls.client_certificate_requested ? json("requested, none sent")
                                                                    : json(nullptr)},
        {"earliest_expiry", earliest ? json(iso8601(*earliest)) : json(nullptr)},
        {"chain", chain}}},
      {"dns",
       {{"server", r.dns.server.empty() ? json(nullptr) : json(r.dns.server)},
        {"question", r.dns.question.empty() ? json(nullptr) : json(r.dns.question)},
        {"rcode", optional(r.dns.rcode)},
        {"answers", r.dns.answers},
        {"ttls", r.dns.ttls}}},
  };
  if (r.underlying_class) out["underlying_class"] = std::string(to_string(*r.underlying_class));
  return out;
}

std::string json_text(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace prober::checks
