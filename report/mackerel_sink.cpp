#include "report/mackerel_sink.h"

#include "checks/check_result_json.h"
#include "checks/timings.h"
#include "report/backoff.h"

namespace prober::report {
namespace {

constexpr char kHostIdKey[] = "mackerel.host_id";

std::string sanitize(const std::string& name, bool allow_dot) {
  std::string out = name;
  for (char& c : out) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || (allow_dot && c == '.');
    if (!ok) c = '_';
  }
  return out;
}

const char* mackerel_status(checks::Severity s) {
  switch (s) {
    case checks::Severity::kOk:
      return "OK";
    case checks::Severity::kWarning:
      return "WARNING";
    case checks::Severity::kCritical:
      return "CRITICAL";
    case checks::Severity::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

// Joins JSON texts of one kind: objects into {"reports": [...]}, arrays into one array.
std::string join(const std::vector<SpoolRecord>& batch, const char* open, const char* close) {
  std::string body = open;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::string_view p = batch[i].payload;
    if (p.size() >= 2 && p.front() == '[') p = p.substr(1, p.size() - 2);
    if (p.empty()) continue;
    if (body.size() > std::strlen(open)) body += ",";
    body += p;
  }
  return body + close;
}

}  // namespace

std::string mackerel_check_name(const std::string& monitor) { return sanitize(monitor, false); }

nlohmann::json mackerel_report(const MonitorRun& run, std::optional<int> notification_interval) {
  const auto& w = run.worst;
  std::string message = std::string(to_string(w.failure.failure_class)) + ": " + w.message;
  if (!w.address.empty()) message += " (" + w.address + ")";
  if (message.size() > 1024) message = message.substr(0, 1021) + "...";
  nlohmann::json report = {{"name", mackerel_check_name(run.monitor.name)},
                           {"status", mackerel_status(w.failure.severity)},
                           {"message", message},
                           {"occurredAt", run.at_ms / 1000},
                           {"maxCheckAttempts", std::clamp(run.monitor.max_check_attempts, 1, 10)}};
  if (notification_interval) report["notificationInterval"] = *notification_interval;
  return report;
}

nlohmann::json mackerel_metrics(const MonitorRun& run) {
  const auto& w = run.worst;
  const std::string prefix = "prober." + sanitize(run.monitor.name, true) + ".";
  const std::int64_t time = run.at_ms / 1000;
  nlohmann::json out = nlohmann::json::array();
  const std::pair<const char*, std::optional<checks::Micros>> phases[] = {{"dns", w.timings.dns},
                                                                          {"connect", w.timings.connect},
                                                                          {"tls", w.timings.tls},
                                                                          {"ttfb", w.timings.ttfb},
                                                                          {"total", w.timings.total}};
  for (const auto& [phase, d] : phases) {
    if (d) out.push_back({{"name", prefix + phase + "_ms"}, {"time", time}, {"value", checks::to_ms(*d)}});
  }
  bool up = w.failure.severity == checks::Severity::kOk || w.failure.severity == checks::Severity::kWarning;
  out.push_back({{"name", prefix + "success"}, {"time", time}, {"value", up ? 1 : 0}});
  return out;
}

MackerelSink::MackerelSink(uv_loop_t* loop, Spool& spool, net::HttpClient& http, MetricsRegistry& metrics,
                           config::MackerelConfig config, const Vantage& vantage)
    : spool_(spool),
      http_(http),
      metrics_(metrics),
      config_(std::move(config)),
      host_name_(config_.host_name.empty() ? vantage.name : config_.host_name),
      custom_id_("prober-" + vantage.name),
      retry_(loop),
      reports_(loop, spool, http, metrics, "mackerel", "mackerel_reports", config_.reports,
               [this](const std::vector<SpoolRecord>& batch) -> std::optional<net::HttpRequestSpec> {
                 if (host_id_.empty()) return std::nullopt;  // the host is not registered yet
                 std::string source = R"({"type":"host","hostId":)" + checks::json_text(host_id_) + "}";
                 std::string body = "{\"reports\":[";
                 for (std::size_t i = 0; i < batch.size(); ++i) {
                   const std::string& p = batch[i].payload;  // {"name":...}: add the source
                   body += (i ? ",{\"source\":" : "{\"source\":") + source + "," + p.substr(1);
                 }
                 return request("POST", "/api/v0/monitoring/checks/report", body + "]}");
               }),
      metrics_delivery_(loop, spool, http, metrics, "mackerel", "mackerel_metrics", config_.metrics,
                        [this](const std::vector<SpoolRecord>& batch) -> std::optional<net::HttpRequestSpec> {
                          return request("POST", "/api/v0/services/" + config_.service + "/tsdb",
                                         join(batch, "[", "]"));
                        }) {
  if (auto id = spool_.state(kHostIdKey)) host_id_ = *id;
  reports_.kick(0);
  if (!config_.service.empty()) metrics_delivery_.kick(0);
}

net::HttpRequestSpec MackerelSink::request(const std::string& method, const std::string& path, std::string body) const {
  net::HttpRequestSpec spec;
  spec.method = method;
  std::string base = config_.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  spec.url = base + path;
  spec.headers = {"Content-Type: application/json", "X-Api-Key: " + config_.api_key.value};
  spec.body = std::move(body);
  spec.timeout = config_.reports.timeout;
  return spec;
}

void MackerelSink::on_monitors(const std::vector<const config::MonitorConfig*>& monitors) {
  checks_.clear();
  for (const auto* m : monitors) checks_.push_back(mackerel_check_name(m->name));
  if (host_id_.empty())
    register_host();
  else
    update_checks();
}

nlohmann::json MackerelSink::host_body() const {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : checks_) checks.push_back({{"name", c}});
  return {{"name", host_name_}, {"meta", nlohmann::json::object()}, {"checks", checks}};
}

void MackerelSink::register_host() {
  if (registering_) return;
  registering_ = true;
  nlohmann::json body = host_body();
  body["customIdentifier"] = custom_id_;
  http_.send(request("POST", "/api/v0/hosts", checks::json_text(body)), [this](const net::HttpReply& r) {
    registering_ = false;
    std::string id;
    if (r.ok()) {
      try {
        id = nlohmann::json::parse(r.body).at("id").get<std::string>();
      } catch (const nlohmann::json::exception&) {  // no id: counted as bad_response below
      }
    }
    if (id.empty()) {
      metrics_.add("prober_sink_errors_total",
                   {{"sink", "mackerel"}, {"reason", r.ok() ? "bad_response" : net::judge(r).reason}});
      // Registration is needed before any report: retry, within Mackerel's 30 s retry policy.
      auto wait = backoff_delay(config_.reports.min_backoff, config_.reports.max_backoff, host_retries_++,
                                random_jitter(), r.retry_after);
      retry_.start(static_cast<std::uint64_t>(wait.count()), 0, [this] { register_host(); });
      return;
    }
    host_id_ = id;
    host_retries_ = 0;
    spool_.put_state(kHostIdKey, id);
    reports_.kick(0);
  });
}

void MackerelSink::update_checks() {
  http_.send(request("PUT", "/api/v0/hosts/" + host_id_, checks::json_text(host_body())),
             [this](const net::HttpReply& r) {
               if (!r.ok())
                 metrics_.add("prober_sink_errors_total", {{"sink", "mackerel"}, {"reason", net::judge(r).reason}});
             });
}

void MackerelSink::on_run(const MonitorRun& run) {
  spool_.append("mackerel_reports", checks::json_text(mackerel_report(run, config_.notification_interval)), run.at_ms,
                static_cast<std::int64_t>(run.seqs.empty() ? 0 : run.seqs.back()));
  reports_.kick();
  if (!config_.service.empty()) {
    spool_.append("mackerel_metrics", checks::json_text(mackerel_metrics(run)), run.at_ms);
    metrics_delivery_.kick();
  }
}

void MackerelSink::drain(std::function<void()> done) {
  retry_.stop();
  auto remaining = std::make_shared<int>(2);
  auto one = [remaining, done] {
    if (--*remaining == 0) done();
  };
  reports_.drain(one);
  if (config_.service.empty())
    one();
  else
    metrics_delivery_.drain(one);
}

}  // namespace prober::report
