#include "prober/check_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "checks/check_result_json.h"
#include "checks/make_check.h"
#include "config/enum_names.h"
#include "config/monitor_config.h"
#include "config/units.h"
#include "io/loop.h"
#include "prober/human_output.h"
#include "scheduler/one_shot_runner.h"

namespace prober::cli {

const char kCheckHelp[] = R"(Usage: prober check TARGET [options]

Runs one check now and explains the outcome. TARGET is
  http(s)://host[:port]/path   an HTTP check (the default for URLs)
  host:port                    a TCP connect check, or a TLS check with --type tls
  name                         a DNS check (--record, --dns-server)

Exit status (Nagios / Mackerel check plugin convention):
  0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for bad arguments)
With --ip each every resolved address is probed and the worst status counts.

Options:
  --type http|tls|tcp|dns      what to check (default: from TARGET)
  --name NAME                  monitor name in the output (default: TARGET)
  --timeout DURATION           deadline for the whole check, e.g. 500ms, 10s (default 10s)
  --ip any|4|6|each            address family: any (IPv4 preferred), 4, 6, or each address
  --dns-server IP[:PORT]       resolver to ask (repeatable; default: the system's)
  --json                       one JSON object per probed address (DESIGN.md §5 shape)
  --no-colour                  never colour the human output (colour is used only on a terminal)
HTTP:
  -X, --method METHOD          request method (default GET)
  -H, --header 'Name: value'   request header (repeatable)
  -d, --body DATA              request body
  --expect-status LIST         accepted codes, e.g. 200,204,300-399 (default 200-399)
  --expect-body REGEX          RE2 pattern the body must match
  --expect-body-contains TEXT  substring the body must contain
  --expect-header 'Name: RE'   RE2 pattern a response header must match (repeatable)
  --warning-ms N, --critical-ms N
                               response-time thresholds (total time, milliseconds)
  --max-body SIZE              stop reading the body past SIZE: http_body_too_large (default 10MiB)
  --no-follow                  do not follow redirects
  --max-redirects N            redirects to follow at most (default 10)
TLS (https URLs and --type tls):
  --ca-file FILE               trust this CA bundle instead of the system's
  --insecure                   do not verify the certificate (facts are still reported)
  --server-name NAME           SNI, certificate name and Host for NAME while connecting to
                               TARGET's host (check one backend by address for the public name)
  --tls-min 1.0|1.1|1.2|1.3, --tls-max 1.0|1.1|1.2|1.3
                               TLS versions to offer
  --cert-warning-days N, --cert-critical-days N
                               certificate expiry thresholds in days (default 21 and 7)
DNS:
  --record TYPE                A AAAA CNAME MX TXT NS SOA CAA SRV PTR (default A)
  --tcp                        ask over TCP instead of UDP
  --expect-rcode RCODE         expected rcode (default NOERROR)
  --expect-answer REGEX        RE2 pattern some answer must match (repeatable)
)";

namespace {

struct Arguments {
  config::MonitorConfig monitor;
  bool json = false;
  bool colour = true;
  bool type_given = false;
};

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

// Parses argv into a monitor; on error prints it and returns nullopt.
std::optional<Arguments> parse(int argc, char** argv) {
  Arguments a;
  auto& m = a.monitor;
  std::optional<std::string> target;
  auto fail = [](const std::string& message) -> std::optional<Arguments> {
    std::fprintf(stderr, "prober check: %s (see prober check --help)\n", message.c_str());
    return std::nullopt;
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--json") {
      a.json = true;
    } else if (arg == "--no-colour" || arg == "--no-color") {
      a.colour = false;
    } else if (arg == "--insecure") {
      m.tls.insecure_skip_verify = true;
    } else if (arg == "--no-follow") {
      m.follow_redirects = false;
    } else if (arg == "--tcp") {
      m.transport = config::DnsTransport::kTcp;
    } else if (arg.rfind('-', 0) == 0 && arg.size() > 1) {
      if (!value(v)) return fail("option " + arg + " needs a value");
      if (arg == "--type") {
        a.type_given = true;
        auto type = config::check_type_from(v);
        if (!type) return fail("--type must be http, tls, tcp or dns, not '" + v + "'");
        m.type = *type;
      } else if (arg == "--name") {
        m.name = v;
      } else if (arg == "--timeout") {
        auto d = config::parse_duration(v);
        if (!d || d->count() <= 0 || *d > std::chrono::hours(24)) {
          return fail("--timeout wants a duration from 1ms to 24h such as 500ms or 10s, not '" + v + "'");
        }
        m.timeout = *d;
      } else if (arg == "--ip") {
        auto version = config::ip_version_from(v);
        if (!version) return fail("--ip must be any, 4, 6 or each, not '" + v + "'");
        m.ip_version = *version;
      } else if (arg == "--dns-server") {
        m.dns_servers.push_back(v);
      } else if (arg == "-X" || arg == "--method") {
        m.method = v;
      } else if (arg == "-H" || arg == "--header") {
        auto h = split_header(v);
        if (!h) return fail("--header wants 'Name: value', not '" + v + "'");
        m.headers.push_back(*h);
      } else if (arg == "-d" || arg == "--body") {
        m.body = v;
        if (m.method == "GET") m.method = "POST";
      } else if (arg == "--expect-status") {
        auto list = parse_status_list(v);
        if (!list) return fail("--expect-status wants codes and ranges such as 200,300-399, not '" + v + "'");
        m.expect.status = *list;
      } else if (arg == "--expect-body") {
        m.expect.body_regex = v;
      } else if (arg == "--expect-body-contains") {
        m.expect.body_contains = v;
      } else if (arg == "--expect-header") {
        auto h = split_header(v);
        if (!h) return fail("--expect-header wants 'Name: REGEX', not '" + v + "'");
        m.expect.headers[h->first] = h->second;
      } else if (arg == "--warning-ms" || arg == "--critical-ms") {
        auto n = parse_int(v, 1, 86400000);
        if (!n) return fail(arg + " wants a number of milliseconds, not '" + v + "'");
        (arg == "--warning-ms" ? m.expect.response_time_ms.warning : m.expect.response_time_ms.critical) = *n;
      } else if (arg == "--cert-warning-days" || arg == "--cert-critical-days") {
        auto n = parse_int(v, 0, 100000);
        if (!n) return fail(arg + " wants a number of days, not '" + v + "'");
        (arg == "--cert-warning-days" ? m.expect.cert_expiry.warning_days : m.expect.cert_expiry.critical_days) = *n;
      } else if (arg == "--max-body") {
        auto size = config::parse_size(v);
        if (!size || *size == 0) return fail("--max-body wants a size such as 64KiB or 10MiB, not '" + v + "'");
        m.max_body_bytes = *size;
      } else if (arg == "--max-redirects") {
        auto n = parse_int(v, 0, 100);
        if (!n) return fail("--max-redirects wants 0 to 100, not '" + v + "'");
        m.max_redirects = *n;
      } else if (arg == "--server-name") {
        m.tls.server_name = v;
      } else if (arg == "--ca-file") {
        m.tls.ca_file = v;
      } else if (arg == "--tls-min" || arg == "--tls-max") {
        if (v != "1.0" && v != "1.1" && v != "1.2" && v != "1.3") return fail(arg + " wants 1.0, 1.1, 1.2 or 1.3");
        (arg == "--tls-min" ? m.tls.min_version : m.tls.max_version) = v;
      } else if (arg == "--record") {
        m.record = v;
      } else if (arg == "--expect-rcode") {
        m.dns_expect.rcode = v;
      } else if (arg == "--expect-answer") {
        m.dns_expect.answers_regex.push_back(v);
      } else {
        return fail("unknown option " + arg);
      }
    } else if (!target) {
      target = arg;
    } else {
      return fail("more than one target: '" + *target + "' and '" + arg + "'");
    }
  }
  if (!target) return fail("no target given");
  m.target = *target;
  if (m.name.empty()) m.name = *target;
  if (!a.type_given) {
    if (target->find("://") != std::string::npos)
      m.type = config::CheckType::kHttp;
    else if (target->find(':') != std::string::npos)
      m.type = config::CheckType::kTcp;
    else
      m.type = config::CheckType::kDns;
  }
  return a;
}

checks::Severity worst(const std::vector<checks::CheckResult>& results) {
  if (results.empty()) return checks::Severity::kUnknown;
  auto out = checks::Severity::kOk;
  for (const auto& r : results) out = std::max(out, r.failure.severity);
  return out;
}

}  // namespace

int check_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::fputs(kCheckHelp, stdout);
      return 0;
    }
  }
  auto args = parse(argc, argv);
  if (!args) return 3;
  std::vector<checks::CheckResult> results;
  {
    io::Loop loop;
    {
      io::CurlMultiDriver curl(loop.get());
      io::ResolverPool resolvers(loop.get());
      auto made = checks::make_check(checks::CheckEnv{curl, resolvers}, args->monitor);
      if (auto* error = std::get_if<std::string>(&made)) {
        std::fprintf(stderr, "prober check: %s\n", error->c_str());
        return 3;
      }
      auto check = std::move(std::get<std::unique_ptr<checks::Check>>(made));
      scheduler::OneShotRunner runner(loop.get());
      runner.run(*check, args->monitor.timeout, [&](std::vector<checks::CheckResult> r) { results = std::move(r); });
      // Run until the check reports; handles are closed below, then the loop drains.
      while (results.empty() && uv_run(loop.get(), UV_RUN_ONCE) != 0) {
      }
    }
    if (loop.close() != 0) std::fprintf(stderr, "prober check: event loop did not close cleanly\n");
  }

  if (args->json) {
    for (const auto& r : results) std::cout << checks::json_text(checks::to_json(r)) << "\n";
  } else {
    print_human(stdout, results, args->colour && isatty(STDOUT_FILENO));
  }
  std::cout.flush();
  return static_cast<int>(worst(results));
}

}  // namespace prober::cli
