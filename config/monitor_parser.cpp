#include "config/monitor_parser.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

#include "config/enum_names.h"
#include "config/target_syntax.h"

namespace prober::config {
namespace {

std::vector<std::string> names(const std::vector<std::string_view>& views) { return {views.begin(), views.end()}; }

const std::vector<std::string> kRecords{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "CAA", "SRV", "PTR"};
const std::vector<std::string> kRcodes{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
const std::vector<std::string> kTlsVersions{"1.0", "1.1", "1.2", "1.3"};

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

void parse_status(JsonReader& expect, HttpExpect& out, std::vector<ConfigError>& errors) {
  const auto* v = expect.raw("status");
  if (!v) return;
  const std::string at = expect.pointer("status");
  const std::string wanted = "expected a list of status codes and [low, high] ranges, e.g. [200, [300, 399]]";
  if (!v->is_array() || v->empty()) {
    errors.push_back({at, wanted});
    return;
  }
  std::vector<StatusRange> ranges;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    auto code = [](const nlohmann::json& j) { return j.is_number_integer() ? j.get<int>() : -1; };
    StatusRange r{-1, -1};
    if (item.is_number_integer()) r = {code(item), code(item)};
    if (item.is_array() && item.size() == 2) r = {code(item[0]), code(item[1])};
    if (r.low < 100 || r.high > 599 || r.low > r.high) {
      errors.push_back({at + "/" + std::to_string(i), wanted + " (codes 100 to 599)"});
      continue;
    }
    ranges.push_back(r);
  }
  out.status = ranges;
}

void parse_http_expect(JsonReader& expect, HttpExpect& out, std::vector<ConfigError>& errors) {
  parse_status(expect, out, errors);
  if (auto v = expect.string("body_regex")) {
    check_re2_pattern(expect.pointer("body_regex"), *v, errors);
    out.body_regex = v;
  }
  if (auto v = expect.string("body_contains")) out.body_contains = v;
  if (auto headers = expect.string_map("headers")) {
    for (const auto& [name, pattern] : *headers) {
      check_re2_pattern(expect.pointer("headers") + "/" + pointer_escape(name), pattern, errors);
    }
    out.headers.assign(headers->begin(), headers->end());
  }
  if (auto t = expect.object("response_time_ms")) {
    out.response_time_ms.warning = t->number("warning", 0, 86400000);
    out.response_time_ms.critical = t->number("critical", 0, 86400000);
    t->finish();
  }
  if (auto v = expect.choice("downgrade", names(downgrade_policies()))) out.downgrade = *v;
  if (auto v = expect.strings("tls_hygiene_ignore")) {
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (!is_one_of((*v)[i], tls_hygiene_items())) {
        errors.push_back({expect.pointer("tls_hygiene_ignore") + "/" + std::to_string(i),
                          "expected one of " + one_of_text(tls_hygiene_items()) + ", got \"" + (*v)[i] + "\""});
      }
    }
    out.tls_hygiene_ignore = *v;
  }
  if (auto t = expect.object("cert_expiry_days")) {
    out.cert_expiry.warning_days = t->integer("warning", 0, 100000);
    out.cert_expiry.critical_days = t->integer("critical", 0, 100000);
    t->finish();
  }
}

void parse_headers(JsonReader& reader, MonitorConfig& m, std::vector<ConfigError>& errors) {
  const auto* v = reader.raw("headers");
  if (!v) return;
  if (!v->is_object()) {
    reader.error("headers", "expected an object of header names to values");
    return;
  }
  for (const auto& [name, value] : v->items()) {
    const std::string at = reader.pointer("headers") + "/" + pointer_escape(name);
    if (value.is_string()) {
      m.request.edit().headers.emplace_back(name, value.get<std::string>());
      continue;
    }
    // A secret: {"file": "/run/secrets/x"} or {"env": "NAME"}, never inline.
    if (value.is_object() && value.size() == 1 && (value.contains("file") || value.contains("env")) &&
        value.begin()->is_string()) {
      SecretHeader secret{name, value.value("file", ""), value.value("env", "")};
      m.request.edit().secret_headers.push_back(secret);
      continue;
    }
    errors.push_back({at, "expected a string, or {\"file\": PATH} or {\"env\": NAME} for a secret"});
  }
}

}  // namespace

MonitorDefaults parse_defaults(JsonReader& reader) {
  MonitorDefaults d;
  if (auto v = reader.duration("interval")) d.interval = *v;
  if (auto v = reader.duration("timeout")) d.timeout = *v;
  if (auto v = reader.duration("retry_interval")) d.retry_interval = *v;
  if (auto v = reader.integer("max_check_attempts", 1, 10)) d.max_check_attempts = *v;
  if (auto v = reader.integer("recovery_attempts", 1, 10)) d.recovery_attempts = *v;
  if (auto v = reader.choice("ip_version", names(ip_version_names())))
    d.ip_version = ip_version_from(*v).value_or(d.ip_version);  // choice() took a known name
  reader.finish();
  return d;
}

namespace {

// "name", "type" and the target, whose key the type names: url, target (host:port) or query.
void parse_identity(JsonReader& r, MonitorConfig& m, bool is_module) {
  if (!is_module) {
    auto name = r.string("name");
    if (!name) {
      if (!r.has("name")) r.error("", "missing \"name\"");
    } else if (!valid_name(*name)) {
      r.error("name", "expected 1 to 128 of [A-Za-z0-9_.-], got \"" + *name + "\"");
    } else {
      m.name = *name;
    }
  }
  auto type = r.choice("type", names(check_type_names()));
  if (!type && !r.has("type")) r.error("", "missing \"type\" (http, tls, tcp or dns)");
  if (type) m.type = check_type_from(*type).value_or(CheckType::kHttp);

  const std::string target_key = m.type == CheckType::kHttp ? "url" : m.type == CheckType::kDns ? "query" : "target";
  if (is_module && m.type == CheckType::kDns) {
    // blackbox's dns modules: the /probe target is the server to ask, the module names the query.
    if (auto q = r.string("query")) m.target = *q;
  }
  if (!type) {
    // Without a valid type the target key cannot be judged: one error is enough.
    for (const auto& key : {"url", "target", "query"}) r.raw(key);
  }
  if (is_module || !type) return;
  for (const auto& other : {"url", "target", "query"}) {
    if (other != target_key && r.has(other)) {
      r.error(other,
              "\"" + std::string(other) + "\" is not a key of " + *type + " monitors; use \"" + target_key + "\"");
      r.raw(other);
    }
  }
  auto target = r.string(target_key);
  if (!target) {
    if (!r.has(target_key)) r.error("", "missing \"" + target_key + "\"");
    return;
  }
  std::optional<std::string> problem;
  if (m.type == CheckType::kHttp) problem = url_problem(*target);
  if (m.type == CheckType::kTls || m.type == CheckType::kTcp) problem = host_port_problem(*target);
  if (m.type == CheckType::kDns && (target->empty() || target->size() > 253)) problem = "expected a DNS name";
  if (problem) r.error(target_key, *problem + ", got \"" + *target + "\"");
  m.target = *target;
}

// How the check is made: the HTTP request and the address family.
void parse_request(JsonReader& r, MonitorConfig& m, std::vector<ConfigError>& local) {
  if (auto v = r.string("method")) m.request.edit().method = *v;
  parse_headers(r, m, local);
  if (auto v = r.string("body")) m.request.edit().body = v;
  if (auto v = r.boolean("follow_redirects")) m.follow_redirects = *v;
  if (auto v = r.integer("max_redirects", 0, 100)) m.max_redirects = *v;
  if (auto v = r.choice("ip_version", names(ip_version_names())))
    m.ip_version = ip_version_from(*v).value_or(m.ip_version);  // choice() took a known name
}

// How much of the body is read, and the DNS question.
void parse_body_limit_and_dns(JsonReader& r, MonitorConfig& m) {
  if (auto v = r.size("max_body")) m.max_body_bytes = *v;
  if (auto v = r.strings("dns_servers")) m.request.edit().dns_servers = *v;
  if (auto v = r.string("server")) m.request.edit().dns_servers = {*v};
  if (auto v = r.choice("record", kRecords)) m.request.edit().record = *v;
  if (auto v = r.choice("transport", {"udp", "tcp"}))
    m.transport = *v == "tcp" ? DnsTransport::kTcp : DnsTransport::kUdp;
}

// When it runs, and how many failures make it hard-failing.
void parse_schedule(JsonReader& r, MonitorConfig& m) {
  if (auto v = r.duration("interval")) m.interval = *v;
  if (auto v = r.duration("timeout")) m.timeout = *v;
  if (auto v = r.duration("retry_interval")) m.retry_interval = *v;
  if (auto v = r.integer("max_check_attempts", 1, 10)) m.max_check_attempts = *v;
  if (auto v = r.integer("recovery_attempts", 1, 10)) m.recovery_attempts = *v;
}

void check_timeout_fits(JsonReader& r, const MonitorConfig& m) {
  if (m.timeout >= m.interval) {
    r.error(r.has("timeout") ? "timeout" : "", "timeout (" + std::to_string(m.timeout.count()) +
                                                   "ms) must be shorter than interval (" +
                                                   std::to_string(m.interval.count()) + "ms)");
  }
}

void parse_expect(JsonReader& r, MonitorConfig& m, std::vector<ConfigError>& local) {
  auto expect = r.object("expect");
  if (!expect) return;
  if (m.type == CheckType::kDns) {
    DnsExpect& dns = m.dns_expect.edit();
    if (auto v = expect->choice("rcode", kRcodes)) dns.rcode = v;
    if (auto v = expect->strings("answers_regex")) {
      for (std::size_t i = 0; i < v->size(); ++i) {
        check_re2_pattern(expect->pointer("answers_regex") + "/" + std::to_string(i), (*v)[i], local);
      }
      dns.answers_regex = *v;
    }
  } else {
    parse_http_expect(*expect, m.expect.edit(), local);
  }
  expect->finish();
}

void parse_tls(JsonReader& r, MonitorConfig& m) {
  auto tls = r.object("tls");
  if (!tls) return;
  TlsOptions& out = m.tls.edit();
  if (auto v = tls->string("ca_file")) out.ca_file = v;
  if (auto v = tls->boolean("insecure_skip_verify")) out.insecure_skip_verify = *v;
  if (auto v = tls->string("server_name")) {
    if (v->empty() || v->find_first_of(" /:@") != std::string::npos) {
      tls->error("server_name", "expected a host name, got \"" + *v + "\"");
    } else {
      out.server_name = v;
    }
  }
  if (auto v = tls->choice("min_version", kTlsVersions)) out.min_version = v;
  if (auto v = tls->choice("max_version", kTlsVersions)) out.max_version = v;
  if (auto v = tls->string("cert_file")) out.cert_file = v;
  if (auto v = tls->strings("groups")) {
    std::string joined;
    for (const auto& name : *v) {
      if (!is_tls_group_name(name))
        tls->error("groups", "expected TLS group names such as \"X25519\" or \"P-256\", got \"" + name + "\"");
      joined += (joined.empty() ? "" : ":") + name;
    }
    if (v->empty()) tls->error("groups", "expected at least one TLS group name");
    out.groups = joined;
  }
  if (auto v = tls->string("key_file")) {
    if (!out.cert_file) {
      tls->error("key_file", "key_file needs cert_file (the client certificate it belongs to)");
    } else {
      out.key_file = v;
    }
  }
  tls->finish();
}

}  // namespace

bool is_tls_group_name(std::string_view name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

std::vector<std::string_view> tls_group_names(std::string_view list) {
  std::vector<std::string_view> names;
  for (std::size_t start = 0; start <= list.size();) {
    std::size_t end = std::min(list.find(':', start), list.size());
    names.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

MonitorConfig parse_monitor(JsonReader& r, const MonitorDefaults& defaults, bool is_module) {
  std::vector<ConfigError> local;
  MonitorConfig m;
  m.interval = defaults.interval;
  m.timeout = defaults.timeout;
  m.retry_interval = defaults.retry_interval;
  m.max_check_attempts = defaults.max_check_attempts;
  m.recovery_attempts = defaults.recovery_attempts;
  m.ip_version = defaults.ip_version;
  parse_identity(r, m, is_module);
  parse_request(r, m, local);
  parse_schedule(r, m);
  parse_body_limit_and_dns(r, m);
  parse_expect(r, m, local);
  parse_tls(r, m);
  check_timeout_fits(r, m);
  r.finish();
  for (auto& e : local) r.add(std::move(e));
  return m;
}

}  // namespace prober::config
