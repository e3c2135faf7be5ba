#include "report/delivery.h"

#include <chrono>

#include "report/backoff.h"

namespace prober::report {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Delivery::declare_metrics(MetricsRegistry& m) {
  using K = MetricsRegistry::Kind;
  m.declare("prober_sink_sent_total", K::kCounter, "Records a central service acknowledged, by sink");
  m.declare("prober_sink_errors_total", K::kCounter, "Failed sends, by sink and reason");
  m.declare("prober_sink_dropped_total", K::kCounter,
            "Records given up on: rejected by the service (never retried) or too old to retry, by sink and reason");
}

Delivery::Delivery(uv_loop_t* loop, Spool& spool, net::HttpClient& http, MetricsRegistry& metrics, std::string sink,
                   std::string queue, config::DeliveryConfig config, Encode encode, Judge judge,
                   std::size_t batch_max_bytes)
    : spool_(spool),
      http_(http),
      metrics_(metrics),
      sink_(std::move(sink)),
      queue_(std::move(queue)),
      config_(config),
      batch_max_bytes_(batch_max_bytes),
      encode_(std::move(encode)),
      judge_(std::move(judge)),
      timer_(loop) {
  metrics_.add("prober_sink_sent_total", {{"sink", sink_}}, 0);
}

void Delivery::arm(std::chrono::milliseconds after) {
  timer_.start(static_cast<std::uint64_t>(after.count()), 0, [this] {
    if (state_ == State::kBackoff)
      send();
    else
      fetch();
  });
}

void Delivery::kick(std::size_t n) {
  pending_hint_ += n;
  ++kicks_since_fetch_;
  if (state_ == State::kIdle) {
    state_ = State::kWaiting;
    arm(pending_hint_ >= static_cast<std::size_t>(config_.batch_max) ? std::chrono::milliseconds(0)
                                                                     : config_.flush_interval);
  } else if (state_ == State::kWaiting && pending_hint_ >= static_cast<std::size_t>(config_.batch_max)) {
    arm(std::chrono::milliseconds(0));
  }
}

void Delivery::fetch() {
  timer_.stop();
  state_ = State::kFetching;
  kicks_since_fetch_ = 0;
  spool_.fetch(
      queue_, cursor_, static_cast<std::size_t>(config_.batch_max),
      [this](std::vector<SpoolRecord> records) { on_fetched(std::move(records)); }, batch_max_bytes_);
}

void Delivery::on_fetched(std::vector<SpoolRecord> records) {
  if (records.empty()) {
    state_ = State::kIdle;
    pending_hint_ = 0;
    settle();
    // Appended while the fetch was on its way (after it in the writer's queue): not lost, but
    // nothing else would send them until the next append.
    if (kicks_since_fetch_ > 0 && !drained_) {
      state_ = State::kWaiting;
      arm(config_.flush_interval);
    }
    return;
  }
  cursor_ = records.back().id;
  batch_ = std::move(records);
  retries_ = 0;
  send();
}

void Delivery::send() {
  if (now_ms() - batch_.front().created_ms > config_.max_age.count()) {
    // Too old for the service to take (Prometheus rejects samples ~1 h behind its head): give
    // up on it rather than let it block the queue.
    drop_batch("expired");
    return;
  }
  auto request = encode_(batch_);
  if (!request) {
    on_response(net::HttpReply{0, "not ready", {}, {}});
    return;
  }
  request->timeout = config_.timeout;
  state_ = State::kSending;
  http_.send(std::move(*request), [this](const net::HttpReply& r) { on_response(r); });
}

void Delivery::on_response(const net::HttpReply& response) {
  net::Verdict v = judge_(response);
  switch (v.action) {
    case net::Verdict::Action::kDelivered:
      metrics_.add("prober_sink_sent_total", {{"sink", sink_}}, static_cast<double>(batch_.size()));
      finished_batch();
      return;
    case net::Verdict::Action::kDrop:
      metrics_.add("prober_sink_errors_total", {{"sink", sink_}, {"reason", v.reason}});
      drop_batch(v.reason);
      return;
    case net::Verdict::Action::kRetry:
      metrics_.add("prober_sink_errors_total", {{"sink", sink_}, {"reason", v.reason}});
      state_ = State::kBackoff;
      if (drained_) {  // shutting down: the batch stays in the spool for the next start
        settle();
        return;
      }
      arm(backoff_delay(config_.min_backoff, config_.max_backoff, retries_++, random_jitter(), response.retry_after));
      return;
  }
}

void Delivery::drop_batch(const std::string& reason) {
  metrics_.add("prober_sink_dropped_total", {{"sink", sink_}, {"reason", reason}}, static_cast<double>(batch_.size()));
  finished_batch();
}

void Delivery::finished_batch() {
  std::vector<std::int64_t> ids;
  ids.reserve(batch_.size());
  for (const auto& r : batch_) ids.push_back(r.id);
  spool_.remove(std::move(ids));
  pending_hint_ -= std::min(pending_hint_, batch_.size());
  batch_.clear();
  fetch();  // more may be waiting (a backlog after an outage): keep going until a fetch is empty
}

void Delivery::drain(std::function<void()> done) {
  drained_ = std::move(done);
  if (state_ == State::kIdle || state_ == State::kWaiting)
    fetch();
  else if (state_ == State::kBackoff)
    settle();
}

void Delivery::settle() {
  if (!drained_) return;
  timer_.stop();
  auto done = std::move(drained_);
  drained_ = nullptr;
  done();
}

}  // namespace prober::report
