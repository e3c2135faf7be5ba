#pragma once
// Batches of CheckResult JSON (DESIGN.md §5) POSTed to any URL, through the spool. Each batch
// has an Idempotency-Key made of the vantage and its results' seq range, the same on every
// retry of that batch; receivers deduplicate results by (vantage, monitor, seq).
#include <string>

#include "config/sinks_config.h"
#include "report/delivery.h"
#include "report/sink.h"

namespace prober::report {

net::HttpRequestSpec webhook_request(const config::WebhookConfig& config, const std::string& vantage,
                                     const std::vector<SpoolRecord>& batch);

class WebhookSink final : public Sink {
 public:
  WebhookSink(uv_loop_t* loop, Spool& spool, net::HttpClient& http, MetricsRegistry& metrics,
              config::WebhookConfig config, const Vantage& vantage);
  void on_run(const MonitorRun& run) override;
  void drain(std::function<void()> done) override { delivery_.drain(std::move(done)); }

 private:
  Spool& spool_;
  config::WebhookConfig config_;
  std::string vantage_;
  Delivery delivery_;
};

}  // namespace prober::report
