// The agent's HTTP routes: /metrics /healthz /readyz /results POST /-/reload and /probe.
#ifdef PROBER_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "checks/check_result_json.h"
#include "checks/destination_policy.h"
#include "checks/make_check.h"
#include "io/process_usage.h"
#include "prober/agent.h"
#include "prober/log.h"
#include "report/probe_metrics.h"

namespace prober::cli {
namespace {

constexpr char kExposition[] = "text/plain; version=0.0.4; charset=utf-8";

net::HttpResponse text(int status, std::string body) {
  return net::HttpResponse{status, "text/plain; charset=utf-8", std::move(body)};
}

// What the allocator handed out and did not get back.
double heap_in_use() {
#ifdef PROBER_JEMALLOC
  std::uint64_t epoch = 1;  // jemalloc's statistics are a snapshot, refreshed by advancing its epoch
  std::size_t size = sizeof epoch;
  mallctl("epoch", &epoch, &size, &epoch, size);
  std::size_t allocated = 0;
  size = sizeof allocated;
  if (mallctl("stats.allocated", &allocated, &size, nullptr, 0) != 0) return 0;
  return static_cast<double>(allocated);
#else
  struct mallinfo2 heap = mallinfo2();
  return static_cast<double>(heap.uordblks + heap.hblkhd);
#endif
}

double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

std::optional<std::chrono::milliseconds> probe_timeout(const std::string& header, std::chrono::milliseconds module) {
  // Digits with at most one '.': no sign, exponent, "inf" or "nan" gets through to a cast.
  if (header.empty() || header.size() > 12 || header.find_first_not_of("0123456789.") != std::string::npos ||
      std::count(header.begin(), header.end(), '.') > 1 || header == ".") {
    return std::nullopt;
  }
  double seconds = std::strtod(header.c_str(), nullptr);
  if (!(seconds > 0)) return std::nullopt;
  // As blackbox does: stay inside Prometheus's scrape timeout, with half a second to spare
  // when there is that much; never longer than the module's own timeout.
  double usable = seconds > 1 ? seconds - 0.5 : seconds;
  auto ms = static_cast<std::int64_t>(std::min(usable * 1000, static_cast<double>(module.count())));
  return std::chrono::milliseconds(std::max<std::int64_t>(1, ms));
}

void Agent::refresh_process_metrics() {
  registry_.set("process_cpu_seconds_total", {}, io::process_cpu_seconds());
  registry_.set("process_resident_memory_bytes", {}, resident_bytes());
  registry_.set("prober_heap_inuse_bytes", {}, heap_in_use());
  if (spool_) registry_.set("prober_spool_bytes", {}, static_cast<double>(spool_->bytes()));
}

void Agent::render_scrapes() {
  // A slice of at least 5 ms and at most 200 ms, a quarter of what the rest of the loop turn
  // took: on a quiet loop the checks' timers wait at most 5 ms for a scrape; on a loop saturated
  // with checks (thousands due at once, a sanitizer build) the scrape still gets a fifth of the
  // time and ends in a bounded number of turns instead of starving behind them.
  constexpr std::uint64_t kMinSliceNs = 5'000'000, kMaxSliceNs = 200'000'000;
  // The answer grows in pieces of a fixed size, never by doubling one buffer: at 200 000 monitors
  // it is ~300 MB, and each doubling copied all of it inside one slice (0.9 s at the last).
  constexpr std::size_t kPieceBytes = 1 << 20, kPieceRoom = 256 << 10;
  std::uint64_t now = uv_hrtime();
  std::uint64_t rest_of_turn = now > scrape_slice_end_ns_ ? now - scrape_slice_end_ns_ : 0;
  std::uint64_t until = now + std::clamp(rest_of_turn / 4, kMinSliceNs, kMaxSliceNs);
  while (!scrapes_.empty() && uv_hrtime() < until) {
    for (auto it = scrapes_.begin(); it != scrapes_.end();) {
      Scrape& s = **it;
      if (s.pieces.empty() || s.pieces.back().size() > kPieceBytes - kPieceRoom) {
        s.pieces.emplace_back().reserve(kPieceBytes);
      }
      if (s.step(s.pieces.back())) {
        net::HttpResponse answer{200, s.content_type, std::move(s.pieces.front()), {}, {}};
        answer.body_pieces.assign(std::make_move_iterator(s.pieces.begin() + 1),
                                  std::make_move_iterator(s.pieces.end()));
        s.respond(std::move(answer));
        it = scrapes_.erase(it);
      } else {
        ++it;
      }
    }
  }
  scrape_slice_end_ns_ = uv_hrtime();
  if (scrapes_.empty()) uv_idle_stop(scrape_idle_.get());
}

void Agent::answer_in_slices(const char* content_type, std::function<bool(std::string&)> step,
                             const net::HttpServer::Respond& respond) {
  if (scrapes_.empty()) scrape_slice_end_ns_ = uv_hrtime();
  scrapes_.push_back(std::make_unique<Scrape>(Scrape{content_type, std::move(step), {}, respond}));
  if (!scrape_idle_.initialized()) {
    uv_idle_init(loop_.get(), scrape_idle_.get());
    scrape_idle_.get()->data = this;
  }
  uv_idle_start(scrape_idle_.get(), [](uv_idle_t* h) {
    if (h->data) static_cast<Agent*>(h->data)->render_scrapes();
  });
}

void Agent::handle(const net::HttpRequest& q, const net::HttpServer::Respond& respond) {
  if (q.path == "/metrics") {
    registry_.set("prober_http_connections_refused_total", {}, static_cast<double>(server_->refused_connections()));
    registry_.set("prober_http_connections_open", {}, static_cast<double>(server_->open_connections()));
    registry_.set("prober_http_tls_failures_total", {}, static_cast<double>(server_->tls_failures()));
    registry_.set("prober_http_unauthorized_total", {}, static_cast<double>(server_->unauthorized_requests()));
    refresh_process_metrics();
    constexpr std::size_t kSeriesPerStep = 256;
    return answer_in_slices(
        kExposition,
        [this, cursor = report::MetricsRegistry::Cursor{}](std::string& out) mutable {
          return registry_.render_some(cursor, out, kSeriesPerStep);
        },
        respond);
  }
  if (q.path == "/healthz") return respond(text(200, "ok\n"));
  if (q.path == "/readyz") return respond(ready_ && !stopping_ ? text(200, "ready\n") : text(503, "not ready\n"));
  if (q.path == "/results") {
    // A step inflates each monitor's packed results: 64 of them are well under a millisecond.
    constexpr std::size_t kMonitorsPerStep = 64;
    return answer_in_slices(
        "application/json",
        [this, cursor = report::ResultStore::Cursor{}, now = std::chrono::system_clock::now()](
            std::string& out) mutable { return store_.render_some(cursor, out, kMonitorsPerStep, now); },
        respond);
  }
  if (q.path == "/-/reload") {
    if (q.method != "POST" && q.method != "PUT") return respond(text(405, "use POST\n"));
    if (!options_.enable_lifecycle)
      return respond(text(403, "lifecycle API is not enabled (--web.enable-lifecycle)\n"));
    return respond(load("POST /-/reload") ? text(200, "reloaded\n")
                                          : text(500, "configuration rejected; see the logs\n"));
  }
  if (q.path == "/probe") return probe(q, respond);
  respond(text(404, "not found; try /metrics, /healthz, /readyz, /results, /probe\n"));
}

void Agent::probe(const net::HttpRequest& q, const net::HttpServer::Respond& respond) {
  const auto& endpoint = config_.endpoint ? *config_.endpoint : config::EndpointConfig{};
  if (!endpoint.probe.enabled) return respond(text(404, "/probe is disabled\n"));
  auto target_it = q.query.find("target");
  if (target_it == q.query.end() || target_it->second.empty())
    return respond(text(400, "target parameter is missing\n"));
  std::string module_name = q.query.count("module") ? q.query.at("module") : "http_2xx";
  auto module = config_.modules.find(module_name);
  if (module == config_.modules.end()) return respond(text(400, "unknown module \"" + module_name + "\"\n"));
  const std::string& target = target_it->second;
  if (endpoint.probe.allowed_targets.empty() && !listens_on_loopback_) {
    // An open /probe on a reachable address is an open proxy (SSRF): refused unless said so.
    return respond(text(403,
                        "/probe with no sinks.prometheus.probe.allowed_targets is served on loopback only; "
                        "list the targets (or [\".*\"] to allow any)\n"));
  }
  config::MonitorConfig m = module->second;
  m.name = "probe";
  m.request.edit().allowed_targets = endpoint.probe.allowed_targets;  // every redirect hop too
  m.deny_private_addresses = endpoint.probe.deny_private_addresses;
  if (!m.request->allowed_targets.empty()) {
    // The target as given, asked of the same policy the check holds its redirect hops to.
    auto policy = checks::DestinationPolicy::create(m);
    auto* made = std::get_if<std::shared_ptr<const checks::DestinationPolicy>>(&policy);
    if (!made || (*made)->refuse_url(target))
      return respond(text(403, "target not allowed by sinks.prometheus.probe.allowed_targets\n"));
  }
  if (m.type == config::CheckType::kDns && !m.target.empty()) {
    m.request.edit().dns_servers = {target};  // blackbox: a dns module's target is the server; the module has the query
  } else {
    m.target = target;
  }
  if (m.type == config::CheckType::kHttp && target.find("://") == std::string::npos) m.target = "http://" + target;
  if (auto header = q.headers.find("x-prometheus-scrape-timeout-seconds"); header != q.headers.end()) {
    auto timeout = probe_timeout(header->second, m.timeout);
    if (!timeout)
      return respond(text(400, "X-Prometheus-Scrape-Timeout-Seconds must be a number of seconds above 0\n"));
    m.timeout = *timeout;
  }
  std::size_t running = 0;
  for (const auto& [id, run] : probes_) running += run.finished ? 0 : 1;
  if (running >= static_cast<std::size_t>(endpoint.probe.max_concurrent)) {
    return respond(text(429, "too many /probe runs at once (sinks.prometheus.probe.max_concurrent)\n"));
  }
  std::string key = module_name;
  key.append(1, '\0').append(target).append(1, '\0').append(std::to_string(m.timeout.count()));
  std::shared_ptr<const checks::Check> check;
  if (auto cached = probe_checks_.find(key); cached != probe_checks_.end()) {
    check = cached->second;
  } else {
    auto made = checks::make_check(*env_, m);
    if (auto* error = std::get_if<std::string>(&made)) return respond(text(400, *error + "\n"));
    check = std::move(std::get<std::unique_ptr<checks::Check>>(made));
    if (probe_checks_.size() >= kMaxProbeChecks) probe_checks_.clear();
    probe_checks_.emplace(std::move(key), check);
  }
  std::uint64_t id = next_probe_++;
  ProbeRun& run = probes_[id];
  run.check = std::move(check);
  run.runner = std::make_unique<scheduler::OneShotRunner>(loop_.get(), hold_ups_.get());
  run.runner->run(*run.check, m.timeout, [this, id, respond](const std::vector<checks::CheckResult>& results) {
    respond({200, kExposition, report::probe_exposition(results, results.size() > 1)});
    probes_[id].finished = true;
    uv_check_start(reaper_.get(), [](uv_check_t* handle) {
      auto* self = static_cast<Agent*>(handle->data);
      uv_check_stop(handle);
      if (self) std::erase_if(self->probes_, [](const auto& kv) { return kv.second.finished; });
    });
  });
}

}  // namespace prober::cli
