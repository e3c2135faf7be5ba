#include "prober/agent.h"

#include <unistd.h>

#include <algorithm>

#include "checks/check_result_json.h"
#include "checks/url.h"
#include "prober/config_loader.h"
#include "prober/log.h"
#include "report/probe_metrics.h"
#include "scheduler/offsets.h"
#include "scheduler/open_files.h"

namespace prober::cli {

class Agent::Observer final : public scheduler::SchedulerObserver {
 public:
  explicit Observer(report::MetricsRegistry& r) : r_(r) {}
  void on_lag(scheduler::Millis lag) override {
    r_.observe("prober_scheduler_lag_seconds", {}, static_cast<double>(lag.count()) / 1000.0);
  }
  void on_skipped(const std::string& reason) override { r_.add("prober_checks_skipped_total", {{"reason", reason}}); }
  void on_queued() override { r_.add("prober_checks_queued_total", {}); }
  void on_in_flight(std::size_t n) override { r_.set("prober_checks_in_flight", {}, static_cast<double>(n)); }
  void on_result_error(const std::string& monitor, const std::string& what) override {
    r_.add("prober_result_errors_total", {});
    Log::error("handling a check's results failed; the schedule goes on", {{"monitor", monitor}, {"error", what}});
  }

 private:
  report::MetricsRegistry& r_;
};

Agent::Agent(AgentOptions options)
    : options_(std::move(options)),
      clock_(loop_.get()),
      timers_(loop_.get()),
      open_files_(scheduler::raise_open_file_limit()) {
  if (is_config_url(options_.config_path)) {
    options_.remote.url = options_.config_path;
    remote_ = std::make_unique<RemoteConfig>(options_.remote);
  }
  curl_ = std::make_unique<io::CurlMultiDriver>(loop_.get());
  resolvers_ = std::make_unique<io::ResolverPool>(loop_.get());
  hold_ups_ = std::make_unique<scheduler::HoldUpWatch>(clock_, timers_);
  env_ = std::make_unique<checks::CheckEnv>(
      checks::CheckEnv{*curl_, *resolvers_, tls_contexts_, &compiled_expects_, hold_ups_.get()});
  observer_ = std::make_unique<Observer>(registry_);
  diagnoses_ = std::make_unique<diagnostics::DiagnosisRunner>(
      loop_.get(), *env_, [this](const std::string& m, checks::FailureClass c, std::vector<checks::Diagnostic> d) {
        on_diagnosis(m, c, std::move(d));
      });
  uv_check_init(loop_.get(), reaper_.get());
  reaper_.get()->data = this;
  declare_agent_metrics();
}

Agent::~Agent() {
  server_.reset();
  scheduler_.reset();
  probes_.clear();
  probe_checks_.clear();
  diagnoses_.reset();
  sinks_.clear();  // their timers and requests first,
  http_.reset();   // then the requests' curl handles,
  spool_.reset();  // then the spool commits what is queued
  vantage_tick_.close();
  drain_deadline_.close();
  env_.reset();
  resolvers_.reset();
  curl_.reset();
  sighup_.close();
  sigterm_.close();
  sigint_.close();
  watch_.close();
  remote_poll_.close();
  reaper_.close();
  scrapes_.clear();
  scrape_idle_.close();
  hold_ups_.reset();
  timers_.close();
  if (loop_.close() != 0) Log::error("event loop closed with handles still open", {{"handles", loop_.open_handles()}});
}

void Agent::declare_agent_metrics() {
  using K = report::MetricsRegistry::Kind;
  report::declare_probe_metrics(registry_);
  registry_.declare("prober_check_results_total", K::kCounter, "Check results by monitor and class");
  registry_.declare("prober_check_phase_seconds", K::kHistogram, "Phase durations by check type and phase",
                    {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  registry_.declare("prober_scheduler_lag_seconds", K::kHistogram, "How late runs started after their slot",
                    {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5});
  registry_.declare("prober_checks_in_flight", K::kGauge, "Checks running now");
  registry_.declare("prober_checks_max_in_flight", K::kGauge,
                    "Checks that may run at once: max_in_flight, or fewer if the open-file limit allows fewer");
  registry_.declare("prober_checks_skipped_total", K::kCounter, "Runs not started, by reason");
  registry_.declare("prober_checks_queued_total", K::kCounter, "Runs that waited for a free in-flight slot");
  registry_.declare("prober_result_errors_total", K::kCounter, "Check results whose handling failed (logged)");
  registry_.declare("prober_http_connections_refused_total", K::kCounter,
                    "Connections to the endpoint closed at once: sinks.prometheus.max_connections were open");
  registry_.declare("prober_http_connections_open", K::kGauge,
                    "Connections to the endpoint open now, this scrape's own included");
  registry_.declare("prober_http_tls_failures_total", K::kCounter,
                    "Connections to the endpoint ended by TLS: a refused handshake, plain HTTP to the TLS port, "
                    "a client certificate without an allowed SAN, or an unusable web config file");
  registry_.declare("prober_http_unauthorized_total", K::kCounter,
                    "Requests to the endpoint answered 401: basic auth missing or wrong");
  registry_.declare("prober_config_last_reload_successful", K::kGauge, "Whether the last configuration load succeeded");
  registry_.declare("prober_config_last_reload_success_timestamp_seconds", K::kGauge,
                    "When the configuration was last loaded successfully");
  registry_.declare("prober_monitor_hard_state", K::kGauge,
                    "Hard alert state per monitor: 0 ok 1 warning 2 critical 3 unknown");
  registry_.declare("prober_alert_transitions_total", K::kCounter, "Hard state changes, by monitor and new state");
  registry_.declare("prober_diagnoses_total", K::kCounter,
                    "Monitors turned hard-failing, by what became of their diagnosis: started, rate_limited, busy, "
                    "running, nothing_fits, disabled");
  registry_.declare("prober_vantage_healthy", K::kGauge,
                    "1 unless more than half of this vantage's control checks fail");
  registry_.declare("prober_spool_bytes", K::kGauge, "Payload bytes held in the spool");
  registry_.declare("prober_spool_dropped_total", K::kCounter, "Spooled records dropped at the size bound, by queue");
  registry_.declare("prober_spool_errors_total", K::kCounter, "Failed spool writes (retried)");
  registry_.declare("prober_spool_damaged_total", K::kCounter,
                    "Spool files found damaged at start and moved aside (spool.db.corrupt-<time>)");
  report::Delivery::declare_metrics(registry_);
  registry_.declare("process_cpu_seconds_total", K::kCounter, "Total user and system CPU time spent in seconds");
  registry_.declare("process_resident_memory_bytes", K::kGauge, "Resident memory size in bytes");
  registry_.declare("prober_heap_inuse_bytes", K::kGauge,
                    "Bytes malloc has handed out and not had back (jemalloc's stats.allocated, or glibc's "
                    "mallinfo2): resident memory above it is freed memory the allocator keeps, not a leak");
  registry_.set("prober_checks_in_flight", {}, 0);
  registry_.add("prober_checks_skipped_total", {{"reason", "overlap"}}, 0);
  registry_.add("prober_checks_queued_total", {}, 0);
  registry_.add("prober_result_errors_total", {}, 0);
  registry_.set("prober_vantage_healthy", {}, 1);
  registry_.declare("prober_shard_info", K::kGauge,
                    "This replica's shard: it runs the monitors whose rendezvous hash picks it");
  registry_.set("prober_shard_info",
                {{"shard", std::to_string(options_.shard.index)}, {"shards", std::to_string(options_.shard.count)}}, 1);
  registry_.declare("prober_monitors", K::kGauge, "Monitors this replica runs");
  registry_.declare("prober_config_fetch_errors_total", K::kCounter, "Failed polls of the configuration URL");
}

void Agent::start_scheduler(const config::Config& first) {
  scheduler_ = std::make_unique<scheduler::Scheduler>(
      clock_, timers_, first.vantage.name, checks_at_once(first),
      [this](const std::string& m, std::vector<checks::CheckResult> r) { on_results(m, std::move(r)); },
      observer_.get(), hold_ups_.get());
}

std::size_t Agent::checks_at_once(const config::Config& next) {
  const config::EndpointConfig endpoint = next.endpoint.value_or(config::EndpointConfig{});
  scheduler::OpenFileNeeds needs{
      static_cast<std::size_t>(endpoint.max_connections),
      endpoint.probe.enabled ? static_cast<std::size_t>(endpoint.probe.max_concurrent) : 0,
      next.diagnostics.enabled ? static_cast<std::size_t>(next.diagnostics.max_concurrent) : 0};
  std::size_t fit = scheduler::checks_that_fit(open_files_, needs);
  std::size_t wanted = static_cast<std::size_t>(std::max(1, next.max_in_flight));
  std::size_t n = std::min(wanted, fit);
  // Warned once per change of the limit in force, not at every reload that keeps it.
  if (n < wanted && (!scheduler_ || n != scheduler_->max_in_flight())) {
    Log::warn(
        "max_in_flight lowered: more checks at once would run out of file descriptors and fail as if "
        "their targets had",
        {{"max_in_flight", std::to_string(wanted)},
         {"checks_at_once", std::to_string(n)},
         {"open_file_limit", std::to_string(open_files_)}});
  }
  registry_.set("prober_checks_max_in_flight", {}, static_cast<double>(n));
  return n;
}

void Agent::on_results(const std::string& monitor, std::vector<checks::CheckResult> results) {
  const config::MonitorConfig* found = monitor_named(monitor);
  if (!found || results.empty()) return;
  const config::MonitorConfig& m = *found;
  auto now = std::chrono::system_clock::now();

  bool control = health_.is_control(monitor);
  if (control && health_.observe_control(monitor, results)) {
    registry_.set("prober_vantage_healthy", {}, health_.healthy() ? 1 : 0);
    Log::warn(health_.healthy() ? "vantage healthy again" : "vantage unhealthy: results are unknown/vantage_unhealthy",
              {{"failing_control_checks", std::to_string(health_.failing_count())},
               {"control_checks", std::to_string(health_.control_count())}});
    offer_vantage_samples();
  }
  if (!control) health_.apply(results);

  checks::CheckResult& worst = *std::max_element(results.begin(), results.end(), [](const auto& a, const auto& b) {
    return static_cast<int>(a.failure.severity) < static_cast<int>(b.failure.severity);
  });
  attach_diagnosis(monitor, worst);
  auto [state_it, fresh] =
      alert_states_.try_emplace(monitor, alerting::AlertPolicy{m.max_check_attempts, m.recovery_attempts});
  alerting::MonitorAlertState& state = state_it->second;
  std::optional<alerting::HardTransition> transition;
  // An unhealthy vantage says nothing about the target: hard states hold until it recovers.
  if (control || health_.healthy())
    transition = state.observe(worst.failure.severity, worst.failure.failure_class, now);
  if (transition) {
    registry_.add("prober_alert_transitions_total",
                  {{"monitor", monitor}, {"state", std::string(to_string(transition->to))}});
    Log::info("hard state change", {{"monitor", monitor},
                                    {"from", std::string(to_string(transition->from))},
                                    {"to", std::string(to_string(transition->to))},
                                    {"class", std::string(to_string(transition->to_class))}});
  }
  // The hard state changes only at a transition: no need to render the series on every run.
  if (fresh || transition) {
    registry_.set("prober_monitor_hard_state", {{"monitor", monitor}}, static_cast<double>(state.hard_severity()));
  }

  std::vector<std::string> lines;
  std::vector<std::uint64_t> seqs;
  bool failed = false;
  for (const auto& r : results) {
    checks::ResultLineContext context{config_.vantage.name, config_.vantage.region, ++seq_};
    seqs.push_back(seq_);
    lines.push_back(checks::result_line(r, &context));
    failed = failed || r.failure.failure_class != checks::FailureClass::kOk;
    registry_.add("prober_check_results_total",
                  {{"monitor", monitor}, {"class", std::string(to_string(r.failure.failure_class))}});
    const std::optional<checks::Micros> phases[] = {r.timings.dns,  r.timings.connect,  r.timings.tls,
                                                    r.timings.ttfb, r.timings.transfer, r.timings.total};
    static const char* const kPhases[] = {"dns", "connect", "tls", "ttfb", "transfer", "total"};
    auto [keys, fresh_type] = phase_label_sets_.try_emplace(r.type);
    if (fresh_type) {  // rendered once per check type, not six times per result
      for (std::size_t i = 0; i < keys->second.size(); ++i)
        keys->second[i] = report::format_labels({{"type", r.type}, {"phase", kPhases[i]}});
    }
    for (std::size_t i = 0; i < keys->second.size(); ++i) {
      const std::optional<checks::Micros>& took = phases[i];
      if (took) registry_.observe_rendered("prober_check_phase_seconds", keys->second[i], took->count() / 1e6);
    }
  }
  if (spool_) spool_->put_state("seq", std::to_string(seq_));
  report::Labels base = report::probe_base_labels(monitor, results, m.target);
  bool per_address = m.ip_version == config::IpVersion::kEach;
  report::record_probe_series(registry_, base, results, per_address);
  std::vector<report::ProbeSample> samples;
  if (std::any_of(sinks_.begin(), sinks_.end(), [](const auto& s) { return s->wants_samples(); }))
    samples = report::probe_samples(base, results, per_address);
  store_.record(monitor, checks::json_array(lines), failed, now);

  std::int64_t at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  report::MonitorRun run{m, results, lines, seqs, samples, worst, state, transition, at_ms};
  for (auto& sink : sinks_) sink->on_run(run);
  // After the result went out: the diagnosis reports on its own when it ends.
  if (transition && transition->to != checks::Severity::kOk && !control) diagnose(m, worst);
}

void Agent::shutdown(const char* signal_name) {
  if (stopping_) {
    Log::warn("second signal: stopping without waiting for checks in flight", {{"signal", signal_name}});
    uv_stop(loop_.get());
    return;
  }
  stopping_ = true;
  Log::info("draining: no new checks; waiting for checks in flight",
            {{"signal", signal_name}, {"in_flight", std::to_string(scheduler_ ? scheduler_->in_flight() : 0)}});
  if (watch_.initialized()) uv_fs_poll_stop(watch_.get());
  remote_poll_.stop();
  auto done = [this] {
    drain_sinks([this] {
      Log::info("drained; exiting");
      uv_stop(loop_.get());
    });
  };
  if (scheduler_)
    scheduler_->drain(done);
  else
    done();
}

int Agent::run() {
  if (!load("start")) return 1;
  if (!open_sinks()) return 1;
  const config::EndpointConfig endpoint = config_.endpoint.value_or(config::EndpointConfig{});
  std::string listen = options_.listen.value_or(endpoint.listen);
  net::HttpServerLimits limits{static_cast<std::size_t>(endpoint.max_connections),
                               static_cast<std::uint64_t>(endpoint.idle_timeout.count()),
                               static_cast<std::uint64_t>(endpoint.write_timeout.count())};
  net::HttpServer::Security security;
  if (!options_.web_config_file.empty()) {
    auto opened = net::WebConfigFile::open(options_.web_config_file, [](const std::string& error) {
      Log::error("web config file rejected; the endpoint answers 500 and refuses TLS until it is fixed",
                 {{"error", error}});
    });
    if (auto* error = std::get_if<std::string>(&opened)) {
      Log::error("cannot start the HTTP endpoint", {{"error", *error}});
      return 1;
    }
    web_config_ = std::move(std::get<std::unique_ptr<net::WebConfigFile>>(opened));
    security = [file = web_config_.get()] { return file->current(); };
  }
  auto server = net::HttpServer::listen(
      loop_.get(), listen, [this](const net::HttpRequest& q, const net::HttpServer::Respond& r) { handle(q, r); },
      limits, std::move(security));
  if (auto* error = std::get_if<std::string>(&server)) {
    Log::error("cannot start the HTTP endpoint", {{"error", *error}});
    return 1;
  }
  server_ = std::move(std::get<std::unique_ptr<net::HttpServer>>(server));
  listens_on_loopback_ = net::is_loopback_listen(listen);
  Log::info("listening", {{"address", listen},
                          {"port", std::to_string(server_->port())},
                          {"tls", web_config_ && web_config_->tls() ? "true" : "false"},
                          {"basic_auth", web_config_ && !web_config_->current()->users.empty() ? "true" : "false"}});

  auto signal = [this](io::UvHandle<uv_signal_t>& h, int signum) {
    uv_signal_init(loop_.get(), h.get());
    h.get()->data = this;
    uv_signal_start(
        h.get(),
        [](uv_signal_t* s, int n) {
          auto* self = static_cast<Agent*>(s->data);
          if (n == SIGHUP) {
            self->load("SIGHUP");
          } else {
            self->shutdown(n == SIGTERM ? "SIGTERM" : "SIGINT");
          }
        },
        signum);
  };
  signal(sighup_, SIGHUP);
  signal(sigterm_, SIGTERM);
  signal(sigint_, SIGINT);
  if (remote_) {
    auto every = static_cast<std::uint64_t>(remote_->options().poll_interval.count());
    remote_poll_.start(every, every, [this] { poll_remote(); });
  } else {
    uv_fs_poll_init(loop_.get(), watch_.get());
    watch_.get()->data = this;
    uv_fs_poll_start(
        watch_.get(),
        [](uv_fs_poll_t* h, int status, const uv_stat_t*, const uv_stat_t*) {
          auto* self = static_cast<Agent*>(h->data);
          if (status == 0) self->reload_if_changed();
        },
        options_.config_path.c_str(), 1000);
  }
  uv_run(loop_.get(), UV_RUN_DEFAULT);
  return 0;
}

}  // namespace prober::cli
