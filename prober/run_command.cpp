#include "prober/run_command.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "checks/compiled_expects.h"
#include "config/units.h"
#include "io/loop.h"
#include "net/web_security.h"
#include "prober/agent.h"
#include "prober/config_loader.h"
#include "prober/log.h"
#include "prober/remote_config.h"

namespace prober::cli {

namespace {

const char kRunFooter[] = R"(The agent runs every monitor of FILE on its schedule; writes one JSON line per result to
standard output (or sinks.jsonl.path), sends results, series and alerts to the configured push
sinks through the spool (docs/alerting.md), logs to standard error, and serves on
sinks.prometheus.listen (default 127.0.0.1:9465):
  /metrics        Prometheus exposition (blackbox_exporter's probe_* names and prober_*)
  /healthz        200 while the loop runs          /readyz   200 once a configuration is loaded
  /results        the last result of every monitor, its last failure for an hour, its last diagnosis
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

Exit status: 0 after SIGTERM/SIGINT, 1 when it cannot start, 2 for bad arguments.)";

const char kValidateFooter[] =
    R"(Parses FILE, resolves its secrets, builds every monitor as the agent would, loads every CA
file and client certificate the monitors name (as their first check would), and with
--web.config.file reads that file and the certificates it names; prints every error (with its
JSON pointer) and exits 0 when valid, 1 when not, 2 for bad arguments.)";

struct Flags {
  std::string config;
  std::optional<std::string> listen;
  std::string web_config_file;
  std::string shard;
  RemoteConfigOptions remote;
  std::map<std::string, std::string> vantage;  // "name", "region", "index", "count"
  bool lifecycle = false;
};

// What run and validate both read: where the configuration comes from, and the endpoint's
// security file.
void add_config_options(CLI::App* app, Flags& f) {
  app->add_option("--config", f.config,
                  "the configuration (docs/config.md). A URL (http:// or https://) is polled with "
                  "If-None-Match; the last configuration that loaded is cached and used when the URL is "
                  "unreachable at start")
      ->type_name("FILE|URL")
      ->required();
  app->add_option("--config.cache", f.remote.cache_path, "that cache (default /var/lib/prober/config-cache.json)")
      ->type_name("FILE");
  add_converted(app, "--config.poll-interval", "DURATION", "how often the URL is asked (default 30s)",
                [&f](const std::string& v) {
                  auto d = config::parse_duration(v);
                  if (!d || d->count() <= 0) return "expected a duration such as 30s, got " + v;
                  f.remote.poll_interval = *d;
                  return std::string();
                });
  app->add_option("--config.ca-file", f.remote.ca_file, "CA certificates for an https:// URL (default: the system's)")
      ->type_name("FILE");
  app->add_option("--web.config.file", f.web_config_file,
                  "TLS, client certificates, basic auth (bcrypt), extra headers and a rate limit for the "
                  "endpoint, in the Prometheus exporter-toolkit format node_exporter and blackbox_exporter take "
                  "(docs/security.md); re-read when it or a file it names changes")
      ->type_name("FILE");
}

void add_agent_options(CLI::App* app, Flags& f) {
  add_converted(app, "--log-format", "text|json", "log line format (default text)", [](const std::string& v) {
    if (v != "text" && v != "json") return "must be text or json, not '" + v + "'";
    Log::set_format(v == "json" ? Log::Format::kJson : Log::Format::kText);
    return std::string();
  });
  app->add_flag("--web.enable-lifecycle", f.lifecycle, "allow POST /-/reload");
  app->add_option_function<std::string>(
         "--web.listen-address", [&f](const std::string& v) { f.listen = v; }, "overrides sinks.prometheus.listen")
      ->type_name("HOST:PORT");
  for (const char* key : {"name", "region", "index", "count"}) {
    std::string name = std::string("--vantage.") + key;
    std::string env = std::string("PROBER_VANTAGE_") + key;
    for (auto& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    app->add_option_function<std::string>(
           name, [&f, key = std::string(key)](const std::string& v) { f.vantage[key] = v; },
           "override the file's vantage " + std::string(key) + " (also " + env + ")")
        ->type_name(key == std::string("name") || key == std::string("region") ? "TEXT" : "N");
  }
  app->add_option("--shard", f.shard,
                  "run only the monitors whose rendezvous hash picks shard i of n (0 <= i < n; also PROBER_SHARD=i/n, "
                  "where i may be a StatefulSet pod name such as prober-tokyo-2, whose ordinal is used). Control "
                  "checks run on every shard")
      ->type_name("i/n");
}

int run_agent(Flags& f) {
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

// Every distinct TLS setting that names a file is built as the first check would build it: a CA
// bundle or client certificate the vantage cannot read fails each check of its monitors
// (internal_error, phase tls), so validate says so before they run. One error per setting.
std::vector<config::ConfigError> tls_file_errors(const config::Config& config, checks::TlsContexts& contexts) {
  std::map<config::TlsOptions, std::vector<std::string>> users;
  auto add = [&](const config::MonitorConfig& m, std::string who) {
    const config::TlsOptions& tls = *m.tls;
    if (tls.ca_file || tls.cert_file || tls.key_file) users[tls].push_back(std::move(who));
  };
  for (const auto& m : config.monitors) add(*m, "monitor \"" + m->name + "\"");
  for (const auto& [name, m] : config.modules) add(m, "module \"" + name + "\"");
  std::vector<config::ConfigError> errors;
  for (const auto& [tls, who] : users) {
    checks::TlsContexts::Made made = contexts.get(tls, 0);
    if (made.ctx) continue;
    std::string named = who.front();
    if (who.size() == 2) named += " and " + who[1];
    if (who.size() > 2) named += " and " + std::to_string(who.size() - 1) + " more";
    errors.push_back({"", named + ": tls: " + made.error});
  }
  return errors;
}

int validate(Flags& f) {
  bool valid = true;
  if (!f.web_config_file.empty()) {
    auto opened = net::WebConfigFile::open(f.web_config_file, [](const std::string&) {});
    if (auto* error = std::get_if<std::string>(&opened)) {
      std::fprintf(stderr, "%s: %s\n", f.web_config_file.c_str(), error->c_str());
      valid = false;
    } else {
      std::printf("%s: valid\n", f.web_config_file.c_str());
    }
  }
  // The checks are built (patterns compiled, URLs parsed) exactly as the agent builds them, on
  // an idle loop that never runs one.
  io::Loop loop;
  io::CurlMultiDriver curl(loop.get());
  io::ResolverPool resolvers(loop.get());
  checks::TlsContexts tls;
  checks::CompiledExpects expects;
  checks::CheckEnv env{curl, resolvers, tls, &expects};
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
    if (auto errors = tls_file_errors(c->config, tls); !errors.empty()) loaded = std::move(errors);
  }
  if (auto* c = std::get_if<LoadedConfig>(&loaded)) {
    std::printf("%s: valid, %zu monitors, %zu modules\n", f.config.c_str(), c->config.monitors.size(),
                c->config.modules.size());
    return valid ? 0 : 1;
  }
  const auto& errors = std::get<std::vector<config::ConfigError>>(loaded);
  for (const auto& e : errors) std::fprintf(stderr, "%s: %s\n", f.config.c_str(), to_string(e).c_str());
  std::fprintf(stderr, "%s: %zu error%s\n", f.config.c_str(), errors.size(), errors.size() == 1 ? "" : "s");
  return 1;
}

}  // namespace

Command add_run_command(CLI::App& root) {
  auto flags = std::make_shared<Flags>();
  CLI::App* app = root.add_subcommand("run", "the agent: monitors on schedule, /metrics, /probe, reload");
  add_config_options(app, *flags);
  add_agent_options(app, *flags);
  app->footer(kRunFooter);
  return Command{app, [flags] { return run_agent(*flags); }, 2};
}

Command add_validate_command(CLI::App& root) {
  auto flags = std::make_shared<Flags>();
  CLI::App* app = root.add_subcommand("validate", "print every error of a configuration; exit 1 if any");
  add_config_options(app, *flags);
  app->footer(kValidateFooter);
  return Command{app, [flags] { return validate(*flags); }, 2};
}

}  // namespace prober::cli
