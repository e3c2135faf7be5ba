#include "prober/check_options.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/enum_names.h"
#include "config/monitor_parser.h"
#include "config/units.h"

namespace prober::cli {
namespace {

std::optional<std::vector<config::StatusRange>> parse_status_list(const std::string& text) {
  std::vector<config::StatusRange> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int low = 0, high = 0;
    char extra = 0;
    if (std::sscanf(item.c_str(), "%d-%d%c", &low, &high, &extra) == 2) {
    } else if (std::sscanf(item.c_str(), "%d%c", &low, &extra) == 1) {
      high = low;
    } else {
      return std::nullopt;
    }
    if (low < 100 || high > 599 || low > high) return std::nullopt;
    out.push_back({low, high});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<int> parse_int(const std::string& text, int low, int high) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < low || v > high) return std::nullopt;
  return static_cast<int>(v);
}

std::optional<std::pair<std::string, std::string>> split_header(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string value = text.substr(colon + 1);
  value.erase(0, value.find_first_not_of(" \t"));
  return std::make_pair(text.substr(0, colon), value);
}

// An option that stores an integer from low to high in `out` (an int or an optional number).
template <typename T>
void add_int(CLI::App* app, const std::string& name, const std::string& help, int low, int high, const char* unit,
             T& out) {
  add_converted(app, name, "N", help, [&out, low, high, unit](const std::string& v) -> std::string {
    auto n = parse_int(v, low, high);
    if (!n)
      return std::string("wants a number of ") + unit + " from " + std::to_string(low) + " to " + std::to_string(high) +
             ", not '" + v + "'";
    if constexpr (std::is_same_v<T, std::optional<int>>)
      out = n;
    else
      out = *n;
    return "";
  });
}

void add_general_options(CLI::App* app, CheckArguments& a) {
  auto& m = a.monitor;
  app->add_option("TARGET", a.target, "URL, host:port or DNS name")->required();
  add_converted(app, "--type", "http|tls|tcp|dns", "what to check (default: from TARGET)", [&](const std::string& v) {
    auto type = config::check_type_from(v);
    if (!type) return "must be http, tls, tcp or dns, not '" + v + "'";
    m.type = *type;
    a.type_given = true;
    return std::string();
  });
  app->add_option("--name", m.name, "monitor name in the output (default: TARGET)");
  add_converted(app, "--timeout", "DURATION", "deadline for the whole check, e.g. 500ms, 10s (default 10s)",
                [&](const std::string& v) {
                  auto d = config::parse_duration(v);
                  if (!d || d->count() <= 0 || *d > std::chrono::hours(24))
                    return "wants a duration from 1ms to 24h such as 500ms or 10s, not '" + v + "'";
                  m.timeout = *d;
                  return std::string();
                });
  add_converted(app, "--ip", "any|4|6|each", "address family: any (IPv4 preferred), 4, 6, or each address (at most 16)",
                [&](const std::string& v) {
                  auto version = config::ip_version_from(v);
                  if (!version) return "must be any, 4, 6 or each, not '" + v + "'";
                  m.ip_version = *version;
                  return std::string();
                });
  app->add_option("--dns-server", m.request.edit().dns_servers, "resolver to ask (repeatable; default: the system's)")
      ->type_name("IP[:PORT]")
      ->take_all();
  app->add_flag("--diagnose", a.diagnose,
                "then run the follow-ups an engineer would: ask the authoritative DNS servers, trace the path, "
                "retry the handshake with other ClientHellos, retry with a browser's headers (docs/diagnostics.md)");
  add_converted(app, "--diagnose-timeout", "DURATION", "deadline for the follow-ups of --diagnose (default 10s)",
                [&](const std::string& v) {
                  auto d = config::parse_duration(v);
                  if (!d || *d < std::chrono::milliseconds(100) || *d > std::chrono::minutes(2))
                    return "wants a duration from 100ms to 2m such as 5s, not '" + v + "'";
                  a.diagnose_timeout = *d;
                  return std::string();
                });
  app->add_flag("--json", a.json, "one JSON object per probed address (DESIGN.md §5 shape)");
  app->add_flag("--no-colour,--no-color", a.no_colour, "never colour the human output (only a terminal gets colour)");
}

void add_http_options(CLI::App* app, CheckArguments& a) {
  auto& m = a.monitor;
  // The monitor's own copy, written by the options below as they are parsed.
  config::HttpExpect& expect = m.expect.edit();
  config::RequestOptions& request = m.request.edit();
  const char* group = "HTTP";
  // Declared before --body: the body's default method (POST) must not override -X.
  app->add_option("-X,--method", request.method, "request method (default GET)")->type_name("METHOD")->group(group);
  add_repeated(app, "-H,--header", "'Name: value'", "request header (repeatable)", [&](const std::string& v) {
    auto h = split_header(v);
    if (!h) return "wants 'Name: value', not '" + v + "'";
    request.headers.push_back(*h);
    return std::string();
  })->group(group);
  add_converted(app, "-d,--body", "DATA", "request body (the method becomes POST unless -X says otherwise)",
                [&](const std::string& v) {
                  request.body = v;
                  if (request.method == "GET") request.method = "POST";
                  return std::string();
                })
      ->group(group);
  add_converted(app, "--expect-status", "LIST", "accepted codes, e.g. 200,204,300-399 (default 200-399)",
                [&](const std::string& v) {
                  auto list = parse_status_list(v);
                  if (!list) return "wants codes and ranges such as 200,300-399, not '" + v + "'";
                  expect.status = *list;
                  return std::string();
                })
      ->group(group);
  app->add_option("--expect-body", expect.body_regex, "RE2 pattern the body must match")
      ->type_name("REGEX")
      ->group(group);
  app->add_option("--expect-body-contains", expect.body_contains, "substring the body must contain")
      ->type_name("TEXT")
      ->group(group);
  add_repeated(app, "--expect-header", "'Name: RE'", "RE2 pattern a response header must match (repeatable)",
               [&](const std::string& v) {
                 auto h = split_header(v);
                 if (!h) return "wants 'Name: REGEX', not '" + v + "'";
                 auto& headers = expect.headers;  // a repeated name: the last pattern
                 auto same =
                     std::find_if(headers.begin(), headers.end(), [&](const auto& e) { return e.first == h->first; });
                 if (same != headers.end())
                   same->second = h->second;
                 else
                   headers.emplace_back(h->first, h->second);
                 return std::string();
               })
      ->group(group);
  add_int(app, "--warning-ms", "response time (total) above which the check warns", 1, 86400000, "milliseconds",
          expect.response_time_ms.warning);
  add_int(app, "--critical-ms", "response time (total) above which the check is critical", 1, 86400000, "milliseconds",
          expect.response_time_ms.critical);
  add_converted(app, "--max-body", "SIZE", "stop reading the body past SIZE: http_body_too_large (default 10MiB)",
                [&](const std::string& v) {
                  auto size = config::parse_size(v);
                  if (!size || *size == 0) return "wants a size such as 64KiB or 10MiB, not '" + v + "'";
                  m.max_body_bytes = *size;
                  return std::string();
                })
      ->group(group);
  add_converted(app, "--downgrade", "warning|critical|ignore",
                "an https:// URL whose redirects end on http:// (default warning: http_downgrade)",
                [&expect](const std::string& v) {
                  if (!config::is_one_of(v, config::downgrade_policies()))
                    return "must be " + config::one_of_text(config::downgrade_policies()) + ", not '" + v + "'";
                  expect.downgrade = v;
                  return std::string();
                })
      ->group(group);
  app->add_flag_callback(
         "--no-follow", [&m] { m.follow_redirects = false; }, "do not follow redirects")
      ->group(group);
  add_int(app, "--max-redirects", "redirects to follow at most (default 10)", 0, 100, "redirects", m.max_redirects);
  for (const char* name : {"--warning-ms", "--critical-ms", "--max-redirects"}) app->get_option(name)->group(group);
}

void add_tls_options(CLI::App* app, CheckArguments& a) {
  auto& tls = a.monitor.tls.edit();
  auto& expiry = a.monitor.expect.edit().cert_expiry;
  const char* group = "TLS (https URLs and --type tls)";
  app->add_option("--ca-file", tls.ca_file, "trust this CA bundle instead of the system's")
      ->type_name("FILE")
      ->group(group);
  app->add_option("--cert", tls.cert_file, "client certificate (PEM) for servers that require one")
      ->type_name("FILE")
      ->group(group);
  app->add_option("--key", tls.key_file, "its private key (PEM; default: in the --cert file)")
      ->type_name("FILE")
      ->needs("--cert")
      ->group(group);
  app->add_flag("--insecure", tls.insecure_skip_verify, "do not verify the certificate (facts are still reported)")
      ->group(group);
  app->add_option("--server-name", tls.server_name,
                  "use NAME for SNI, certificate and Host, connecting to TARGET's host")
      ->type_name("NAME")
      ->group(group);
  for (auto [name, out] : {std::pair{"--tls-min", &tls.min_version}, std::pair{"--tls-max", &tls.max_version}}) {
    add_converted(app, name, "1.0|1.1|1.2|1.3",
                  std::string("TLS version to offer at ") + (out == &tls.min_version ? "least" : "most"),
                  [out = out](const std::string& v) {
                    if (v != "1.0" && v != "1.1" && v != "1.2" && v != "1.3")
                      return "wants 1.0, 1.1, 1.2 or 1.3, not '" + v + "'";
                    *out = v;
                    return std::string();
                  })
        ->group(group);
  }
  add_converted(app, "--tls-groups", "LIST",
                "key exchange groups to offer, in order, OpenSSL's names: X25519:P-256 (default: OpenSSL's)",
                [&tls](const std::string& v) {
                  for (std::string_view name : config::tls_group_names(v)) {
                    if (!config::is_tls_group_name(name)) return "wants group names separated by ':', not '" + v + "'";
                  }
                  tls.groups = v;
                  return std::string();
                })
      ->group(group);
  add_repeated(app, "--tls-hygiene-ignore", "ITEM",
               "do not report this as tls_weak_config: old_version, no_forward_secrecy, cbc, sha1, small_rsa "
               "(repeatable)",
               [&expect = a.monitor.expect.edit()](const std::string& v) {
                 if (!config::is_one_of(v, config::tls_hygiene_items()))
                   return "must be " + config::one_of_text(config::tls_hygiene_items()) + ", not '" + v + "'";
                 expect.tls_hygiene_ignore.push_back(v);
                 return std::string();
               })
      ->group(group);
  add_int(app, "--cert-warning-days", "warn when the certificate expires within N days (default 21)", 0, 100000, "days",
          expiry.warning_days);
  add_int(app, "--cert-critical-days", "critical when it expires within N days (default 7)", 0, 100000, "days",
          expiry.critical_days);
  for (const char* name : {"--cert-warning-days", "--cert-critical-days"}) app->get_option(name)->group(group);
}

void add_dns_options(CLI::App* app, CheckArguments& a) {
  auto& m = a.monitor;
  config::DnsExpect& dns = m.dns_expect.edit();
  const char* group = "DNS";
  app->add_option("--record", m.request.edit().record, "A AAAA CNAME MX TXT NS SOA CAA SRV PTR (default A)")
      ->type_name("TYPE")
      ->group(group);
  app->add_flag_callback(
         "--tcp", [&m] { m.transport = config::DnsTransport::kTcp; }, "ask over TCP instead of UDP")
      ->group(group);
  app->add_option("--expect-rcode", dns.rcode, "expected rcode (default NOERROR)")->type_name("RCODE")->group(group);
  app->add_option("--expect-answer", dns.answers_regex, "RE2 pattern some answer must match (repeatable)")
      ->type_name("REGEX")
      ->take_all()
      ->group(group);
}

}  // namespace

void add_check_options(CLI::App* app, CheckArguments& a) {
  add_general_options(app, a);
  add_http_options(app, a);
  add_tls_options(app, a);
  add_dns_options(app, a);
}

}  // namespace prober::cli
