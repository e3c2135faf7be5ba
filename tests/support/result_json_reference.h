#pragma once
// The result line as nlohmann's document wrote it before the agent wrote it straight into text
// (checks/json_writer.h): the oracle the writer is compared with, byte for byte, by the unit
// tests and the sink payload fuzz target. Not product code.
#include <nlohmann/json.hpp>

#include "checks/cert_info.h"
#include "checks/check_result.h"
#include "checks/check_result_json.h"
#include "checks/timings.h"

namespace prober::testing::reference {

using namespace prober::checks;

namespace detail {

using nlohmann::json;

inline json duration(const std::optional<Micros>& d) { return d ? json(to_ms(*d)) : json(nullptr); }

template <typename T>
json optional(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

inline json timings(const Timings& t) {
  return {{"dns", duration(t.dns)},   {"connect", duration(t.connect)},   {"tls", duration(t.tls)},
          {"ttfb", duration(t.ttfb)}, {"transfer", duration(t.transfer)}, {"total", duration(t.total)}};
}

}  // namespace detail
using namespace detail;

inline json to_json(const CertInfo& c) {
  return {{"subject", c.subject},
          {"issuer", c.issuer},
          {"not_before", iso8601(c.not_before)},
          {"not_after", iso8601(c.not_after)},
          {"sha256", c.sha256},
          {"dns_names", c.dns_names},
          {"key", c.key_type + " " + std::to_string(c.key_bits)},
          {"signature", c.signature_algorithm}};
}

inline json diagnostics_json(const std::vector<Diagnostic>& diagnostics) {
  json out = json::array();
  for (const auto& d : diagnostics) out.push_back({{"kind", d.kind}, {"summary", d.summary}, {"details", d.details}});
  return out;
}

inline json to_json(const CheckResult& r) {
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
        {"group", optional(r.tls.group)},
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

// The agent's line: the result with its vantage, region and sequence number.
inline std::string line(const CheckResult& r, const ResultLineContext* context) {
  json j = to_json(r);
  if (context) {
    j["vantage"] = context->vantage;
    j["region"] = context->region;
    j["seq"] = context->seq;
  }
  return json_text(j);
}

}  // namespace prober::testing::reference
