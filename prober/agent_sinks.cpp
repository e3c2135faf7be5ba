// The agent's sinks: the spool, the push sinks behind it, JSONL, and their orderly shutdown.
#include <chrono>

#include "prober/agent.h"
#include "prober/log.h"
#include "report/alertmanager_sink.h"
#include "report/jsonl_sink.h"
#include "report/mackerel_sink.h"
#include "report/remote_write_sink.h"
#include "report/webhook_sink.h"

namespace prober::cli {
namespace {

// How long a shutdown waits for the central services before leaving the rest in the spool.
constexpr std::uint64_t kSinkDrainMs = 5000;

}  // namespace

bool Agent::open_sinks() {
  const report::Vantage vantage{config_.vantage.name, config_.vantage.region, config_.vantage.labels};
  if (config_.spool) {
    auto opened = report::Spool::open(loop_.get(), config_.spool->dir,
                                      {config_.spool->max_bytes, config_.spool->max_memory_bytes});
    if (auto* error = std::get_if<std::string>(&opened)) {
      Log::error("cannot open the spool", {{"error", *error}});
      return false;
    }
    spool_ = std::move(std::get<std::unique_ptr<report::Spool>>(opened));
    registry_.add("prober_spool_damaged_total", {}, 0);
    if (const auto& moved = spool_->moved_aside()) {
      registry_.add("prober_spool_damaged_total", {});
      Log::error(
          "the spool file was damaged: moved it aside and started with an empty spool; the records in it "
          "were not sent",
          {{"file", config_.spool->dir + "/spool.db"}, {"moved_to", moved->to}, {"reason", moved->reason}});
    }
    if (auto seq = spool_->state("seq")) seq_ = std::stoull(*seq);
    spool_->on_dropped([this](const std::string& queue, std::uint64_t n) {
      registry_.add("prober_spool_dropped_total", {{"queue", queue}}, static_cast<double>(n));
      Log::warn("spool full: dropped the oldest records", {{"queue", queue}, {"records", std::to_string(n)}});
    });
    spool_->on_error([this](const std::string& message) {
      registry_.add("prober_spool_errors_total", {});
      Log::error("spool write failed; retrying", {{"error", message}});
    });
    registry_.add("prober_spool_errors_total", {}, 0);
    Log::info("spool open",
              {{"dir", config_.spool->dir}, {"bytes", std::to_string(spool_->bytes())}, {"seq", std::to_string(seq_)}});
  }
  http_ = std::make_unique<net::HttpClient>(*curl_);
  std::string error;
  sinks_.push_back(std::make_unique<report::JsonlSink>(config_.jsonl.path, error));
  if (!error.empty()) Log::error("JSONL output", {{"error", error}});
  if (config_.remote_write) {
    sinks_.push_back(std::make_unique<report::RemoteWriteSink>(loop_.get(), *spool_, *http_, registry_,
                                                               *config_.remote_write, vantage));
  }
  if (config_.alertmanager) {
    std::string listen = options_.listen.value_or(config_.endpoint ? config_.endpoint->listen : "");
    sinks_.push_back(std::make_unique<report::AlertmanagerSink>(loop_.get(), *http_, registry_, spool_.get(),
                                                                *config_.alertmanager, vantage,
                                                                listen.empty() ? "" : "http://" + listen));
  }
  if (config_.mackerel) {
    sinks_.push_back(
        std::make_unique<report::MackerelSink>(loop_.get(), *spool_, *http_, registry_, *config_.mackerel, vantage));
  }
  if (config_.webhook) {
    sinks_.push_back(
        std::make_unique<report::WebhookSink>(loop_.get(), *spool_, *http_, registry_, *config_.webhook, vantage));
  }
  std::vector<const config::MonitorConfig*> monitors;
  monitors.reserve(config_.monitors.size());
  for (const auto& m : config_.monitors) monitors.push_back(m.get());
  for (auto& sink : sinks_) sink->on_monitors(monitors);

  if (config_.remote_write) {
    auto every = static_cast<std::uint64_t>(config_.remote_write->metrics_interval.count());
    vantage_tick_.start(0, every, [this] { offer_vantage_samples(); });
  }
  return true;
}

// The vantage's own series for remote write: health (the quorum rules need it) and load.
void Agent::offer_vantage_samples() {
  if (spool_) registry_.set("prober_spool_bytes", {}, static_cast<double>(spool_->bytes()));
  std::vector<report::ProbeSample> samples;
  for (const char* name : {"prober_vantage_healthy", "prober_checks_in_flight", "prober_spool_bytes",
                           "prober_config_last_reload_successful"}) {
    if (auto v = registry_.value(name, {})) samples.push_back({name, {}, *v});
  }
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count();
  for (auto& sink : sinks_) sink->on_vantage_samples(samples, now);
}

void Agent::drain_sinks(std::function<void()> done) {
  vantage_tick_.stop();
  offer_vantage_samples();
  drain_done_ = std::move(done);
  pending_drains_ = sinks_.size();
  drain_deadline_.start(kSinkDrainMs, 0, [this] { sinks_drained(true); });
  if (sinks_.empty()) sinks_drained(false);
  for (auto& sink : sinks_) {
    sink->drain([this] {
      if (pending_drains_ == 0) return;
      --pending_drains_;
      if (pending_drains_ == 0) sinks_drained(false);
    });
  }
}

void Agent::sinks_drained(bool timed_out) {
  if (!drain_done_) return;
  drain_deadline_.stop();
  if (timed_out)
    Log::warn("central services did not take everything in time; the rest stays in the spool for the next start");
  if (spool_) spool_->flush();
  auto done = std::move(drain_done_);
  drain_done_ = nullptr;
  done();
}

}  // namespace prober::cli
