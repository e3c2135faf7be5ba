#pragma once
// Mackerel (PROTOCOLS.md §3): one check monitoring report per monitor per run, attached to a
// Mackerel host registered for this vantage (id kept in the spool), and service metrics
// prober.<monitor>.<phase>_ms / .success. Both go through the spool; the host's check list is
// kept current on every (re)load.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/sinks_config.h"
#include "io/uv_timer.h"
#include "report/delivery.h"
#include "report/sink.h"

namespace prober::report {

// Mackerel check and metric names allow fewer characters than monitor names.
std::string mackerel_check_name(const std::string& monitor);
// The report of one run (without "source": the host id is filled in when it is sent).
nlohmann::json mackerel_report(const MonitorRun& run, std::optional<int> notification_interval);
// The service metrics of one run.
nlohmann::json mackerel_metrics(const MonitorRun& run);

class MackerelSink final : public Sink {
 public:
  MackerelSink(uv_loop_t* loop, Spool& spool, net::HttpClient& http, MetricsRegistry& metrics,
               config::MackerelConfig config, const Vantage& vantage);
  void on_run(const MonitorRun& run) override;
  void on_monitors(const std::vector<const config::MonitorConfig*>& monitors) override;
  void drain(std::function<void()> done) override;

 private:
  net::HttpRequestSpec request(const std::string& method, const std::string& path, std::string body) const;
  nlohmann::json host_body() const;  // name, meta and the current checks list
  void register_host();
  void update_checks();

  Spool& spool_;
  net::HttpClient& http_;
  MetricsRegistry& metrics_;
  config::MackerelConfig config_;
  std::string host_name_, custom_id_;
  std::string host_id_;
  std::vector<std::string> checks_;
  bool registering_ = false;
  int host_retries_ = 0;
  io::UvTimer retry_;
  Delivery reports_, metrics_delivery_;
};

}  // namespace prober::report
