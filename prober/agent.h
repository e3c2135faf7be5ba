#pragma once
// `prober run`: the long-running agent. One loop: scheduler, checks, the HTTP endpoint,
// signals and the config file watch. Each run goes through vantage health and alert state,
// then to /metrics, /results and every sink (JSONL, and through the spool the push sinks).
#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "alerting/alert_state.h"
#include "alerting/vantage_health.h"
#include "checks/compiled_expects.h"
#include "config/config.h"
#include "diagnostics/diagnosis_runner.h"
#include "io/ares_resolver.h"
#include "io/curl_multi_driver.h"
#include "io/loop.h"
#include "io/uv_handle.h"
#include "io/uv_timer.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "prober/config_loader.h"
#include "prober/remote_config.h"
#include "report/delivery.h"
#include "report/metrics_registry.h"
#include "report/result_store.h"
#include "report/sink.h"
#include "report/spool.h"
#include "scheduler/hold_up_watch.h"
#include "scheduler/one_shot_runner.h"
#include "scheduler/scheduler.h"
#include "scheduler/shard.h"
#include "scheduler/uv_clock.h"

namespace prober::cli {

struct AgentOptions {
  std::string config_path;
  bool enable_lifecycle = false;      // POST /-/reload
  std::optional<std::string> listen;  // overrides sinks.prometheus.listen
  scheduler::Shard shard;             // --shard i/n: this replica's share of the monitors
  RemoteConfigOptions remote;         // when config_path is a URL
  // --vantage.* / PROBER_VANTAGE_*: one configuration for every region, each copy told who it
  // is by its environment (a Kubernetes pod's name and region).
  std::optional<std::string> vantage_name, vantage_region;
  std::optional<int> vantage_index, vantage_count;
  std::string web_config_file;  // --web.config.file: TLS, basic auth, headers (exporter-toolkit)
};

// The deadline of a /probe run from Prometheus's X-Prometheus-Scrape-Timeout-Seconds: a plain
// positive number of seconds, less half a second, within (0, the module's timeout]; nullopt for
// anything else.
std::optional<std::chrono::milliseconds> probe_timeout(const std::string& header, std::chrono::milliseconds module);

class Agent {
 public:
  explicit Agent(AgentOptions options);
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  ~Agent();
  int run();  // until SIGTERM/SIGINT; 0 after a clean drain

 private:
  class Observer;
  struct ProbeRun {
    std::shared_ptr<const checks::Check> check;
    std::unique_ptr<scheduler::OneShotRunner> runner;
    bool finished = false;
  };

  bool load(const std::string& why);  // the file, or the URL (at start; later it polls)
  void reload_if_changed();           // the file watcher: only when the text changed
  bool accept(std::variant<LoadedConfig, std::vector<config::ConfigError>> loaded, const std::string& why);
  bool accept_remote(const RemoteConfig::Fetched& fetched, const std::string& why);
  void poll_remote();
  bool open_sinks();  // agent_sinks.cpp
  void offer_vantage_samples();
  void drain_sinks(std::function<void()> done);
  void sinks_drained(bool timed_out);
  void start_scheduler(const config::Config& first);
  // max_in_flight, or fewer when the open-file limit allows fewer checks at once (logged).
  std::size_t checks_at_once(const config::Config& next);
  void apply(config::Config next, std::map<std::string, std::unique_ptr<checks::Check>> checks);
  void on_results(const std::string& monitor, std::vector<checks::CheckResult> results);
  void diagnose(const config::MonitorConfig& monitor, const checks::CheckResult& worst);  // agent_diagnoses.cpp
  void on_diagnosis(const std::string& monitor, checks::FailureClass diagnosed,
                    std::vector<checks::Diagnostic> diagnostics);
  void attach_diagnosis(const std::string& monitor, checks::CheckResult& worst);
  void handle(const net::HttpRequest& request, const net::HttpServer::Respond& respond);
  void probe(const net::HttpRequest& request, const net::HttpServer::Respond& respond);
  void refresh_process_metrics();
  void render_scrapes();  // one slice of every /metrics and /results answer being rendered
  // Answers `respond` with what `step` renders, a step at a time between other loop work.
  void answer_in_slices(const char* content_type, std::function<bool(std::string&)> step,
                        const net::HttpServer::Respond& respond);
  void shutdown(const char* signal_name);
  void declare_agent_metrics();

  AgentOptions options_;
  io::Loop loop_;  // first: destroyed last
  std::unique_ptr<io::CurlMultiDriver> curl_;
  std::unique_ptr<io::ResolverPool> resolvers_;
  checks::TlsContexts tls_contexts_;
  checks::CompiledExpects compiled_expects_;
  std::unique_ptr<checks::CheckEnv> env_;
  scheduler::UvClock clock_;
  scheduler::UvTimerFactory timers_;
  std::unique_ptr<scheduler::HoldUpWatch> hold_ups_;  // the checks' and the runners'
  std::unique_ptr<Observer> observer_;
  std::unique_ptr<diagnostics::DiagnosisRunner> diagnoses_;
  std::map<std::string, std::vector<checks::Diagnostic>> undelivered_diagnoses_;  // for the next result
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  report::MetricsRegistry registry_;
  report::ResultStore store_;
  std::unique_ptr<net::WebConfigFile> web_config_;
  std::unique_ptr<net::HttpServer> server_;
  // The configuration file as last loaded, digested: the text itself is ~100 bytes a monitor.
  std::optional<config::DefinitionDigest> loaded_digest_;
  bool listens_on_loopback_ = true;  // an open /probe is served on loopback only
  std::map<std::uint64_t, ProbeRun> probes_;
  // /probe's checks by module, target and timeout. A Check is an immutable definition that any
  // number of runs may start (checks/check.h), so the /probe of a target Prometheus scrapes every
  // 15 s starts the check made the first time instead of making it again (parsing the URL, the
  // module's expectations). Emptied by every configuration accepted, and when it holds
  // kMaxProbeChecks: whoever may call /probe names the targets.
  static constexpr std::size_t kMaxProbeChecks = 256;
  std::unordered_map<std::string, std::shared_ptr<const checks::Check>> probe_checks_;
  // /metrics and /results answers rendered in slices between other loop work (an idle handle
  // runs while any is unfinished): a scrape of a large registry never holds the checks' timers back.
  struct Scrape {
    const char* content_type;
    std::function<bool(std::string&)> step;  // appends the next part of the answer; true once whole
    std::vector<std::string> pieces;         // the answer so far, in pieces of about 1 MiB
    net::HttpServer::Respond respond;
  };
  std::vector<std::unique_ptr<Scrape>> scrapes_;
  io::UvHandle<uv_idle_t> scrape_idle_;
  std::uint64_t scrape_slice_end_ns_ = 0;  // when the last slice ended (uv_hrtime)
  std::uint64_t next_probe_ = 1;
  // Frees finished /probe runs outside their callbacks: a check handle runs after the loop's I/O
  // in the same turn, where a 0 ms timer would cost the loop a turn (and a poll) of its own.
  io::UvHandle<uv_check_t> reaper_;
  io::UvHandle<uv_signal_t> sighup_, sigterm_, sigint_;
  io::UvHandle<uv_fs_poll_t> watch_;
  io::UvTimer remote_poll_{loop_.get()};
  std::unique_ptr<RemoteConfig> remote_;
  config::Config config_;
  // config_.monitors sorted by name, for the lookup of every result: 8 bytes a monitor, not a
  // map node and a copy of its name.
  std::vector<const config::MonitorConfig*> by_name_;
  const config::MonitorConfig* monitor_named(const std::string& name) const;
  std::string sinks_definition_;  // sinks and spool are set up once, at start
  std::unique_ptr<report::Spool> spool_;
  std::unique_ptr<net::HttpClient> http_;
  std::vector<std::unique_ptr<report::Sink>> sinks_;
  io::UvTimer vantage_tick_{loop_.get()};
  io::UvTimer drain_deadline_{loop_.get()};
  std::function<void()> drain_done_;
  std::size_t pending_drains_ = 0;
  std::uint64_t open_files_;  // the soft RLIMIT_NOFILE, raised to the hard one at start
  alerting::VantageHealth health_;
  std::map<std::string, alerting::MonitorAlertState> alert_states_;
  std::map<std::string, std::array<std::string, 6>> phase_label_sets_;  // by check type: {phase=..,type=..}
  std::uint64_t seq_ = 0;                                               // persisted in the spool when there is one
  bool ready_ = false;
  bool stopping_ = false;
};

}  // namespace prober::cli
