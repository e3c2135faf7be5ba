#include "report/webhook_sink.h"

#include "checks/json_writer.h"

namespace prober::report {

net::HttpRequestSpec webhook_request(const config::WebhookConfig& config, const std::string& vantage,
                                     const std::vector<SpoolRecord>& batch) {
  net::HttpRequestSpec spec;
  spec.url = config.url;
  spec.body = checks::json_array(batch, &SpoolRecord::payload);
  spec.headers = {"Content-Type: application/json",
                  "Idempotency-Key: " + vantage + ":" + std::to_string(batch.front().key) + "-" +
                      std::to_string(batch.back().key) + ":" + std::to_string(batch.size())};
  if (!config.bearer_token.value.empty()) spec.headers.push_back("Authorization: Bearer " + config.bearer_token.value);
  return spec;
}

WebhookSink::WebhookSink(uv_loop_t* loop, Spool& spool, net::HttpClient& http, MetricsRegistry& metrics,
                         config::WebhookConfig config, const Vantage& vantage)
    : spool_(spool),
      config_(std::move(config)),
      vantage_(vantage.name),
      delivery_(loop, spool, http, metrics, "webhook", "webhook", config_.delivery,
                [this](const std::vector<SpoolRecord>& batch) { return webhook_request(config_, vantage_, batch); }) {
  delivery_.kick(0);
}

void WebhookSink::on_run(const MonitorRun& run) {
  for (std::size_t i = 0; i < run.lines.size(); ++i) {
    spool_.append("webhook", run.lines[i], run.at_ms, static_cast<std::int64_t>(run.seqs[i]));
  }
  delivery_.kick(run.lines.size());
}

}  // namespace prober::report
