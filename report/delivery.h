#pragma once
// Delivers one spool queue to one central service: fetches batches oldest first, sends one
// batch at a time (order matters to remote write), removes a batch from the spool once the
// service acknowledged it, retries with backoff and jitter, drops (and counts) what the service
// rejects or what grew too old to retry. Counts prober_sink_sent_total{sink},
// prober_sink_errors_total{sink,reason} and prober_sink_dropped_total{sink,reason}.
#include <uv.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/sinks_config.h"
#include "io/uv_timer.h"
#include "net/http_client.h"
#include "report/metrics_registry.h"
#include "report/spool.h"

namespace prober::report {

class Delivery {
 public:
  // The request for a batch; nullopt when the sink cannot send yet (it retries later).
  using Encode = std::function<std::optional<net::HttpRequestSpec>(const std::vector<SpoolRecord>&)>;
  using Judge = std::function<net::Verdict(const net::HttpReply&)>;

  // `batch_max_bytes`: a batch holds no more records than their spooled payloads fit in (always
  // at least one); 0, no limit but the configuration's batch_max.
  Delivery(uv_loop_t* loop, Spool& spool, net::HttpClient& http, MetricsRegistry& metrics, std::string sink,
           std::string queue, config::DeliveryConfig config, Encode encode, Judge judge = net::judge,
           std::size_t batch_max_bytes = 0);
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // `n` records were appended to the queue: send them within flush_interval, or now when a
  // batch is full.
  void kick(std::size_t n = 1);
  // Shutdown: sends what is pending now; `done` once the queue is empty or a send failed.
  void drain(std::function<void()> done);
  static void declare_metrics(MetricsRegistry& metrics);

 private:
  enum class State { kIdle, kWaiting, kFetching, kSending, kBackoff };
  void fetch();
  void on_fetched(std::vector<SpoolRecord> records);
  void send();
  void on_response(const net::HttpReply& response);
  void finished_batch();
  void drop_batch(const std::string& reason);
  void arm(std::chrono::milliseconds after);
  void settle();  // tells a waiting drain that this delivery has nothing more to do

  Spool& spool_;
  net::HttpClient& http_;
  MetricsRegistry& metrics_;
  std::string sink_, queue_;
  config::DeliveryConfig config_;
  std::size_t batch_max_bytes_;
  Encode encode_;
  Judge judge_;
  State state_ = State::kIdle;
  std::size_t pending_hint_ = 0;  // appended since the last fetch came back empty
  std::size_t kicks_since_fetch_ = 0;
  std::int64_t cursor_ = 0;  // highest id fetched
  std::vector<SpoolRecord> batch_;
  int retries_ = 0;
  std::function<void()> drained_;
  io::UvTimer timer_;
};

}  // namespace prober::report
