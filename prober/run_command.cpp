#include "prober/run_command.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "config/units.h"
#include "io/loop.h"
#include "prober/agent.h"
#include "prober/config_loader.h"
#include "prober/log.h"
#include "prober/remote_config.h"

namespace prober::cli {

const char kRunHelp[] = R"(Usage: prober run --config FILE [options]
       prober validate --config FILE

run: the agent. Runs every monitor of FILE on its schedule; writes one JSON line per result to
standard output (or sinks.jsonl.path), sends results, series and alerts to the configured push
sinks through the spool (docs/alerting.md), logs to standard error, and serves on
sinks.prometheus.listen (default 127.0.0.1:9465):
  /metrics        Prometheus exposition (blackbox_exporter's probe_* names and prober_*)
  /healthz        200 while the loop runs          /readyz   200 once a configuration is loaded
  /results        the last result of every monitor, and its last failure for an hour
  /probe?target=T&module=M   one check now with module M (blackbox_exporter compatible)
  POST /-/reload  reload the configuration (only with --web.enable-lifecycle)
The endpoint bounds its clients: sinks.prometheus.max_connections (256), idle_timeout (10s),
write_timeout (30s), probe.max_concurrent (100 /probe runs, then 429); HEAD gets headers only.
The configuration is reloaded on SIGHUP, when FILE's text changes, and on POST /-/reload; a bad
one is rejected with every error logged and the running one kept. Monitors whose definition did
not change keep their schedule and state; every run of a monitor is a new run (nothing of the
last one is reused). A spool.db found damaged at start is moved aside (spool.db.corrupt-<time>)
and an empty spool started. SIGTERM or SIGINT: no new checks,
checks in flight finish (each within its timeout), the push sinks get up to 5 s, whatever they
could not deliver stays in the spool for the next start, exit 0.

Options:
  --config FILE|URL             the configuration (see docs/config.md). A URL (http:// or
                                https://) is polled with If-None-Match; the last configuration
                                that loaded is cached and used when the URL is unreachable at start
  --config.cache FILE           that cache (default /var/lib/prober/config-cache.json)
  --config.poll-interval DUR    how often the URL is asked (default 30s)
  --config.ca-file FILE         CA certificates for an https:// URL (default: the system's)
  --log-format text|json        log line format (default text)
  --web.enable-lifecycle        allow POST /-/reload
  --web.listen-address HOST:PORT   overrides sinks.prometheus.listen
  --web.config.file FILE        TLS, client certificates, basic auth (bcrypt), extra headers and
                                a rate limit for the endpoint, in the Prometheus exporter-toolkit
                                format node_exporter and blackbox_exporter take (docs/security.md);
                                re-read when it or a file it names changes
  --vantage.name NAME, --vantage.region REGION, --vantage.index I, --vantage.count N
                                override the file's vantage (also PROBER_VANTAGE_NAME,
                                PROBER_VANTAGE_REGION, PROBER_VANTAGE_INDEX, PROBER_VANTAGE_COUNT)
  --shard i/n                   run only the monitors whose rendezvous hash picks shard i of n
                                (0 <= i < n; also PROBER_SHARD=i/n, where i may be a StatefulSet
                                pod name such as prober-tokyo-2, whose ordinal is used). Control
                                checks run on every shard.

validate: parse FILE, resolve its secrets, check every monitor, print every error with its JSON
pointer; exit 0 when valid, 1 when not.
)";

namespace {

struct Flags {
  std::string config;
  std::optional<std::string> listen;
  std::string web_config_file;
  std::string shard;
  RemoteConfigOptions remote;
  std::map<std::string, std::string> vantage;  // "name", "region", "index", "count"
  bool lifecycle = false;
  bool help = false;
  std::string error;
};

Flags parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      f.help = true;
    } else if (a == "--web.enable-lifecycle") {
      f.lifecycle = true;
    } else if (a == "--config" && value(v)) {
      f.config = v;
    } else if (a == "--config.cache" && value(v)) {
      f.remote.cache_path = v;
    } else if (a == "--config.ca-file" && value(v)) {
      f.remote.ca_file = v;
    } else if (a == "--config.poll-interval" && value(v)) {
      auto d = config::parse_duration(v);
      if (!d || d->count() <= 0)
        f.error = "--config.poll-interval: expected a duration such as 30s, got " + v;
      else
        f.remote.poll_interval = *d;
    } else if (a.rfind("--vantage.", 0) == 0 && value(v)) {
      std::string key = a.substr(10);
      if (key != "name" && key != "region" && key != "index" && key != "count") f.error = "unknown option " + a;
      f.vantage[key] = v;
    } else if (a == "--shard" && value(v)) {
      f.shard = v;
    } else if (a == "--web.listen-address" && value(v)) {
      f.listen = v;
    } else if (a == "--web.config.file" && value(v)) {
      f.web_config_file = v;
    } else if (a == "--log-format" && value(v) && (v == "text" || v == "json")) {
      Log::set_format(v == "json" ? Log::Format::kJson : Log::Format::kText);
    } else {
      f.error = "unknown or incomplete option " + a;
    }
  }
  if (!f.help && f.error.empty() && f.config.empty()) f.error = "--config FILE is required";
  return f;
}

}  // namespace

int run_command(int argc, char** argv) {
  Flags f = parse(argc, argv);
  if (f.help) {
    std::fputs(kRunHelp, stdout);
    return 0;
  }
  if (!f.error.empty()) {
    std::fprintf(stderr, "prober run: %s (see prober run --help)\n", f.error.c_str());
    return 2;
  }
  scheduler::Shard shard;
  if (f.shard.empty()) {
    if (const char* env = std::getenv("PROBER_SHARD"); env && *env) f.shard = env;
  }
  if (!f.shard.empty()) {
    std::string error;
    auto parsed = scheduler::parse_shard(f.shard, error);
    if (!parsed) {
      std::fprintf(stderr, "prober run: --shard: %s\n", error.c_str());
      return 2;
    }
    shard = *parsed;
  }
  AgentOptions options{f.config, f.lifecycle, f.listen, shard, f.remote};
  for (const char* key : {"name", "region", "index", "count"}) {
    std::string env = std::string("PROBER_VANTAGE_") + key;
    for (auto& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!f.vantage.count(key)) {
      if (const char* value = std::getenv(env.c_str()); value && *value) f.vantage[key] = value;
    }
  }
  options.web_config_file = f.web_config_file;
  if (f.vantage.count("name")) options.vantage_name = f.vantage["name"];
  if (f.vantage.count("region")) options.vantage_region = f.vantage["region"];
  for (const char* key : {"index", "count"}) {
    if (!f.vantage.count(key)) continue;
    char* end = nullptr;
    long n = std::strtol(f.vantage[key].c_str(), &end, 10);
    if (*end != '\0' || n < 0 || n > 1000) {
      std::fprintf(stderr, "prober run: vantage %s: expected a number from 0 to 1000, got \"%s\"\n", key,
                   f.vantage[key].c_str());
      return 2;
    }
    (std::string(key) == "index" ? options.vantage_index : options.vantage_count) = static_cast<int>(n);
  }
  Agent agent(std::move(options));
  return agent.run();
}

int validate_command(int argc, char** argv) {
  Flags f = parse(argc, argv);
  if (f.help) {
    std::fputs(kRunHelp, stdout);
    return 0;
  }
  if (!f.error.empty()) {
    std::fprintf(stderr, "prober validate: %s\n", f.error.c_str());
    return 2;
  }
  // The checks are built (patterns compiled, URLs parsed) exactly as the agent builds them, on
  // an idle loop that never runs one.
  io::Loop loop;
  io::CurlMultiDriver curl(loop.get());
  io::ResolverPool resolvers(loop.get());
  checks::CheckEnv env{curl, resolvers};
  std::variant<LoadedConfig, std::vector<config::ConfigError>> loaded;
  if (is_config_url(f.config)) {
    f.remote.url = f.config;
    f.remote.cache_path = "/dev/null/none";  // validate what the URL serves, never a cache
    RemoteConfig remote(f.remote);
    auto fetched = remote.fetch_now();
    if (auto* error = std::get_if<std::string>(&fetched))
      loaded = std::vector<config::ConfigError>{{"", *error}};
    else
      loaded = load_config_text(std::get<RemoteConfig::Fetched>(fetched).text, env);
  } else {
    loaded = load_config_file(f.config, env);
  }
  if (auto* c = std::get_if<LoadedConfig>(&loaded)) {
    std::printf("%s: valid, %zu monitors, %zu modules\n", f.config.c_str(), c->config.monitors.size(),
                c->config.modules.size());
    return 0;
  }
  const auto& errors = std::get<std::vector<config::ConfigError>>(loaded);
  for (const auto& e : errors) std::fprintf(stderr, "%s: %s\n", f.config.c_str(), to_string(e).c_str());
  std::fprintf(stderr, "%s: %zu error%s\n", f.config.c_str(), errors.size(), errors.size() == 1 ? "" : "s");
  return 1;
}

}  // namespace prober::cli
