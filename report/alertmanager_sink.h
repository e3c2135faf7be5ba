#pragma once
// Alertmanager API v2 (PROTOCOLS.md §2): a hard non-ok state fires ProbeFailing with labels
// alertname, monitor, vantage, region, class, severity; annotations summary (the explanation)
// and hints. Firing alerts are re-sent every resend_interval with endsAt = now + 4 × that;
// a recovery sends endsAt = now, re-sent for resolved_resend (Alertmanager keeps no state
// across its restarts). The class is a label, so one incident whose class changes (the hard
// state moves from tcp_timeout to tcp_refused) ends the old alert and starts a new one.
// Alerts go to every configured Alertmanager; a failed send is retried (all alerts again) with
// backoff from 1 s up to the resend interval. Firing alerts survive a restart via the spool.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/sinks_config.h"
#include "io/uv_timer.h"
#include "net/http_client.h"
#include "report/metrics_registry.h"
#include "report/sink.h"
#include "report/spool.h"

namespace prober::report {

struct AmAlert {
  Labels labels;
  Labels annotations;
  std::int64_t starts_ms = 0;
  std::optional<std::int64_t> ends_ms;  // set once resolved
  std::string generator_url;
};

// The v2 JSON of `alerts` as sent at `now_ms`: firing ones end at now + `firing_horizon`.
nlohmann::json alertmanager_payload(const std::vector<const AmAlert*>& alerts, std::int64_t now_ms,
                                    std::chrono::milliseconds firing_horizon);

class AlertmanagerSink final : public Sink {
 public:
  AlertmanagerSink(uv_loop_t* loop, net::HttpClient& http, MetricsRegistry& metrics, Spool* spool,
                   config::AlertmanagerConfig config, const Vantage& vantage, std::string generator_base);
  void on_run(const MonitorRun& run) override;
  void on_diagnosis(const DiagnosisReport& report) override;
  void on_monitor_removed(const std::string& monitor) override;
  void drain(std::function<void()> done) override;

 private:
  void resolve(const std::string& monitor, std::int64_t at_ms);
  void fire(const MonitorRun& run);
  void send_all();
  void send(const std::vector<const AmAlert*>& alerts);
  void persist();
  void restore();

  net::HttpClient& http_;
  MetricsRegistry& metrics_;
  Spool* spool_;
  config::AlertmanagerConfig config_;
  Vantage vantage_;
  std::string generator_base_;
  std::map<std::string, AmAlert> firing_;  // by monitor
  std::vector<AmAlert> resolved_;          // re-sent until resolved_resend after their end
  io::UvTimer timer_;
  io::UvTimer retry_;  // after a failed send: everything again, with backoff
  int retries_ = 0;
};

}  // namespace prober::report
