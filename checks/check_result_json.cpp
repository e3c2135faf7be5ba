#include "checks/check_result_json.h"

#include <ctime>

#include "checks/timings.h"

namespace prober::checks {
namespace {

// Every object's keys in nlohmann's order (std::map: bytewise), as the lines have always been.

void write_duration(JsonWriter& out, const std::optional<Micros>& d) {
  if (d)
    out.value(to_ms(*d));
  else
    out.null();
}

void write_timings(JsonWriter& out, const Timings& t) {
  out.begin_object();
  write_duration(out.key("connect"), t.connect);
  write_duration(out.key("dns"), t.dns);
  write_duration(out.key("tls"), t.tls);
  write_duration(out.key("total"), t.total);
  write_duration(out.key("transfer"), t.transfer);
  write_duration(out.key("ttfb"), t.ttfb);
  out.end_object();
}

// An empty string is written as null.
void write_text_or_null(JsonWriter& out, const std::string& text) {
  if (text.empty())
    out.null();
  else
    out.value(text);
}

void write_cert(JsonWriter& out, const CertInfo& c) {
  out.begin_object();
  out.key("dns_names").value(c.dns_names);
  out.key("issuer").value(c.issuer);
  out.key("key").value(c.key_type + " " + std::to_string(c.key_bits));
  out.key("not_after").value(iso8601(c.not_after));
  out.key("not_before").value(iso8601(c.not_before));
  out.key("sha256").value(c.sha256);
  out.key("signature").value(c.signature_algorithm);
  out.key("subject").value(c.subject);
  out.end_object();
}

void write_http(JsonWriter& out, const HttpFacts& h) {
  out.begin_object();
  out.key("body_bytes").value(h.body_bytes);
  if (h.content_length && *h.content_length >= 0)
    out.key("content_length").value(*h.content_length);
  else
    out.key("content_length").null();
  out.key("final_url").value(h.final_url);
  out.key("redirects").begin_array();
  for (const auto& hop : h.redirects) {
    out.begin_object();
    out.key("address").value(hop.address);
    out.key("location").value(hop.location);
    out.key("status").value(hop.status);
    write_timings(out.key("timings_ms"), hop.timings);
    out.key("url").value(hop.url);
    out.end_object();
  }
  out.end_array();
  out.key("status").value(h.status);
  out.key("version").value(h.version);
  out.end_object();
}

void write_tls(JsonWriter& out, const TlsFacts& t) {
  out.begin_object();
  out.key("aia").value(t.aia_note);
  out.key("alpn").value(t.alpn);
  out.key("chain").begin_array();
  for (const auto& cert : t.chain) write_cert(out, cert);
  out.end_array();
  out.key("cipher").value(t.cipher);
  out.key("client_certificate");
  if (t.client_certificate_sent)
    out.value("sent");
  else if (t.client_certificate_requested)
    out.value("requested, none sent");
  else
    out.null();
  auto earliest = earliest_expiry(t.chain);
  out.key("earliest_expiry");
  if (earliest)
    out.value(iso8601(*earliest));
  else
    out.null();
  out.key("group").value(t.group);
  write_text_or_null(out.key("server_name"), t.server_name);
  out.key("verify_error").value(t.verify_error);
  out.key("verify_result").value(t.verify_result);
  out.key("version").value(t.version);
  out.end_object();
}

void write_dns(JsonWriter& out, const DnsFacts& d) {
  out.begin_object();
  out.key("answers").value(d.answers);
  write_text_or_null(out.key("question"), d.question);
  out.key("rcode").value(d.rcode);
  write_text_or_null(out.key("server"), d.server);
  out.key("ttls").value(d.ttls);
  out.end_object();
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

void write_diagnostics(JsonWriter& out, const std::vector<Diagnostic>& diagnostics) {
  out.begin_array();
  for (const auto& d : diagnostics) {
    out.begin_object();
    out.key("details").value(d.details);
    out.key("kind").value(d.kind);
    out.key("summary").value(d.summary);
    out.end_object();
  }
  out.end_array();
}

std::string result_line(const CheckResult& r, const ResultLineContext* context) {
  std::string text;
  text.reserve(1024);
  JsonWriter out(text);
  out.begin_object();
  write_text_or_null(out.key("address"), r.address);
  out.key("class").value(to_string(r.failure.failure_class));
  out.key("detail").value(r.detail);
  write_diagnostics(out.key("diagnostics"), r.diagnostics);
  write_dns(out.key("dns"), r.dns);
  out.key("findings").begin_array();
  for (const auto& f : r.findings) {
    out.begin_object();
    out.key("class").value(to_string(f.failure_class));
    out.key("message").value(f.message);
    out.end_object();
  }
  out.end_array();
  out.key("hints").value(r.hints);
  write_http(out.key("http"), r.http);
  out.key("ip_version");
  if (r.ip_version)
    out.value(r.ip_version);
  else
    out.null();
  out.key("message").value(r.message);
  out.key("monitor").value(r.monitor);
  out.key("phase");
  if (r.failure.phase == Phase::kNone)
    out.null();
  else
    out.value(to_string(r.failure.phase));
  if (context) {
    out.key("region").value(context->region);
    out.key("seq").value(context->seq);
  }
  auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(r.started_at.time_since_epoch()).count();
  out.key("started_at").value(iso8601(since_epoch / 1000, static_cast<int>(since_epoch % 1000)));
  out.key("status").value(to_string(r.failure.severity));
  out.key("target").value(r.target);
  write_timings(out.key("timings_ms"), r.timings);
  write_tls(out.key("tls"), r.tls);
  out.key("type").value(r.type);
  if (r.underlying_class) out.key("underlying_class").value(to_string(*r.underlying_class));
  if (context) out.key("vantage").value(context->vantage);
  out.end_object();
  return text;
}

std::string json_text(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace prober::checks
