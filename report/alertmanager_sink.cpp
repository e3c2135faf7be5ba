#include "report/alertmanager_sink.h"

#include "checks/check_result_json.h"
#include "report/backoff.h"

namespace prober::report {
namespace {

constexpr char kStateKey[] = "alertmanager.alerts";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(std::int64_t ms) { return checks::iso8601(ms / 1000, static_cast<int>(ms % 1000)); }

nlohmann::json to_json(const AmAlert& a) {
  return {{"labels", a.labels},
          {"annotations", a.annotations},
          {"starts_ms", a.starts_ms},
          {"ends_ms", a.ends_ms ? nlohmann::json(*a.ends_ms) : nlohmann::json(nullptr)},
          {"generator_url", a.generator_url}};
}

AmAlert from_json(const nlohmann::json& j) {
  AmAlert a;
  a.labels = j.at("labels").get<Labels>();
  a.annotations = j.at("annotations").get<Labels>();
  a.starts_ms = j.at("starts_ms").get<std::int64_t>();
  if (!j.at("ends_ms").is_null()) a.ends_ms = j.at("ends_ms").get<std::int64_t>();
  a.generator_url = j.value("generator_url", "");
  return a;
}

}  // namespace

nlohmann::json alertmanager_payload(const std::vector<const AmAlert*>& alerts, std::int64_t now,
                                    std::chrono::milliseconds firing_horizon) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto* a : alerts) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : a->labels) {
      if (!v.empty()) labels[k] = v;  // Alertmanager rejects empty label values
    }
    nlohmann::json item = {
        {"labels", labels},
        {"annotations", a->annotations},
        {"startsAt", rfc3339(a->starts_ms)},
        {"endsAt", rfc3339(a->ends_ms ? std::max(*a->ends_ms, a->starts_ms) : now + firing_horizon.count())}};
    if (!a->generator_url.empty()) item["generatorURL"] = a->generator_url;
    out.push_back(std::move(item));
  }
  return out;
}

AlertmanagerSink::AlertmanagerSink(uv_loop_t* loop, net::HttpClient& http, MetricsRegistry& metrics, Spool* spool,
                                   config::AlertmanagerConfig config, const Vantage& vantage,
                                   std::string generator_base)
    : http_(http),
      metrics_(metrics),
      spool_(spool),
      config_(std::move(config)),
      vantage_(vantage),
      generator_base_(std::move(generator_base)),
      timer_(loop),
      retry_(loop) {
  metrics_.add("prober_sink_sent_total", {{"sink", "alertmanager"}}, 0);
  restore();
  auto every = static_cast<std::uint64_t>(config_.resend_interval.count());
  timer_.start(every, every, [this] { send_all(); });
  if (!firing_.empty() || !resolved_.empty()) send_all();
}

void AlertmanagerSink::restore() {
  if (!spool_) return;
  auto saved = spool_->state(kStateKey);
  if (!saved) return;
  try {
    auto j = nlohmann::json::parse(*saved);
    for (const auto& [monitor, alert] : j.at("firing").items()) firing_[monitor] = from_json(alert);
    for (const auto& alert : j.at("resolved")) resolved_.push_back(from_json(alert));
  } catch (const nlohmann::json::exception&) {
    firing_.clear();  // an unreadable saved state is not worth refusing to start over
    resolved_.clear();
  }
}

void AlertmanagerSink::persist() {
  if (!spool_) return;
  nlohmann::json j = {{"firing", nlohmann::json::object()}, {"resolved", nlohmann::json::array()}};
  for (const auto& [monitor, a] : firing_) j["firing"][monitor] = to_json(a);
  for (const auto& a : resolved_) j["resolved"].push_back(to_json(a));
  spool_->put_state(kStateKey, checks::json_text(j));
}

void AlertmanagerSink::resolve(const std::string& monitor, std::int64_t at_ms) {
  auto it = firing_.find(monitor);
  if (it == firing_.end()) return;
  it->second.ends_ms = at_ms;
  resolved_.push_back(std::move(it->second));
  firing_.erase(it);
  send({&resolved_.back()});
}

void AlertmanagerSink::fire(const MonitorRun& run) {
  if (!run.transition) return;  // fired at a hard transition only
  const auto& w = run.worst;
  AmAlert a;
  a.labels = {{"alertname", "ProbeFailing"},
              {"monitor", run.monitor.name},
              {"vantage", vantage_.name},
              {"region", vantage_.region},
              {"class", std::string(to_string(run.state.hard_class()))},
              {"severity", std::string(to_string(run.state.hard_severity()))}};
  std::string hints;
  for (const auto& h : w.hints) hints += (hints.empty() ? "" : "\n") + h;
  a.annotations = {
      {"summary", w.message}, {"target", run.monitor.target}, {"phase", std::string(to_string(w.failure.phase))}};
  if (!hints.empty()) a.annotations["hints"] = hints;
  if (!w.address.empty()) a.annotations["address"] = w.address;
  a.starts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(run.transition->at.time_since_epoch()).count();
  if (!generator_base_.empty()) a.generator_url = generator_base_ + "/results#" + run.monitor.name;
  firing_[run.monitor.name] = std::move(a);
  send({&firing_[run.monitor.name]});
}

void AlertmanagerSink::on_run(const MonitorRun& run) {
  const std::string& name = run.monitor.name;
  if (run.transition) {
    resolve(name, run.at_ms);
    if (run.transition->to != checks::Severity::kOk) fire(run);
    persist();
  } else if (firing_.count(name) && run.state.hard_severity() == checks::Severity::kOk &&
             run.worst.failure.severity == checks::Severity::kOk) {
    resolve(name, run.at_ms);  // fired before a restart and found healthy since
    persist();
  }
}

// The firing alert gains a `diagnostics` annotation: one line per follow-up, its conclusion.
void AlertmanagerSink::on_diagnosis(const DiagnosisReport& report) {
  auto it = firing_.find(report.monitor);
  if (it == firing_.end() || report.diagnostics.empty()) return;
  std::string text;
  for (const auto& d : report.diagnostics) text += (text.empty() ? "" : "\n") + d.kind + ": " + d.summary;
  it->second.annotations["diagnostics"] = text;
  persist();
  send({&it->second});
}

void AlertmanagerSink::on_monitor_removed(const std::string& monitor) {
  if (!firing_.count(monitor)) return;
  resolve(monitor, now_ms());
  persist();
}

void AlertmanagerSink::send_all() {
  std::int64_t now = now_ms();
  std::size_t before = resolved_.size();
  std::erase_if(resolved_, [&](const AmAlert& a) { return now - *a.ends_ms > config_.resolved_resend.count(); });
  if (resolved_.size() != before) persist();
  std::vector<const AmAlert*> all;
  all.reserve(firing_.size() + resolved_.size());
  for (const auto& [m, a] : firing_) all.push_back(&a);
  for (const auto& a : resolved_) all.push_back(&a);
  if (!all.empty()) send(all);
}

void AlertmanagerSink::send(const std::vector<const AmAlert*>& alerts) {
  std::string body = checks::json_text(alertmanager_payload(alerts, now_ms(), 4 * config_.resend_interval));
  for (const auto& url : config_.urls) {
    net::HttpRequestSpec spec;
    spec.url = url + (url.ends_with("/") ? "" : "/") + "api/v2/alerts";
    spec.headers = {"Content-Type: application/json"};
    spec.body = body;
    spec.timeout = config_.timeout;
    std::size_t n = alerts.size();
    http_.send(std::move(spec), [this, n](const net::HttpReply& r) {
      net::Verdict v = net::judge(r);
      if (v.action == net::Verdict::Action::kDelivered) {
        metrics_.add("prober_sink_sent_total", {{"sink", "alertmanager"}}, static_cast<double>(n));
        retries_ = 0;
        return;
      }
      metrics_.add("prober_sink_errors_total", {{"sink", "alertmanager"}, {"reason", v.reason}});
      if (v.action != net::Verdict::Action::kRetry || retry_.active()) return;
      // Every alert goes again (the state may have moved on since this send), soon at first.
      auto wait = backoff_delay(std::chrono::milliseconds(1000), config_.resend_interval, retries_++, random_jitter(),
                                r.retry_after);
      retry_.start(static_cast<std::uint64_t>(wait.count()), 0, [this] { send_all(); });
    });
  }
}

void AlertmanagerSink::drain(std::function<void()> done) {
  timer_.stop();
  retry_.stop();
  done();
}

}  // namespace prober::report
