// The probe_* series of a run, every road they take: the agent's registry, remote write's
// samples, /probe's answer, and the shape remote write keeps to write them again.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "report/metrics_registry.h"
#include "report/probe_metrics.h"
#include "report/remote_write_sink.h"
#include "report/series_shape.h"

using namespace prober::report;
using prober::checks::CheckResult;
using prober::checks::FailureClass;
using prober::checks::Severity;

TEST_CASE("the agent's probe series are exactly probe_samples' series, run after run") {
  // record_probe_series (every run of the agent) and probe_samples (remote write, /probe before)
  // come from one list of series; the registry must end up the same by either road.
  auto result = [](const char* address, prober::checks::FailureClass c, const char* tls) {
    CheckResult r;
    r.monitor = "shop \"eu\"";
    r.type = "http";
    r.target = "https://shop.example/?a=1,b=2";
    r.address = address;
    r.ip_version = std::string(address).find(':') != std::string::npos ? 6 : 4;
    r.failure = prober::checks::Failure{c, prober::checks::Phase::kTls,
                                        c == FailureClass::kOk ? Severity::kOk : Severity::kCritical};
    r.timings.total = prober::checks::Micros(1500);
    r.timings.tls = prober::checks::Micros(700);
    r.http.status = 200;
    r.http.version = "2";
    if (tls) r.tls.version = tls;
    return r;
  };
  const std::vector<std::vector<CheckResult>> runs = {
      {result("192.0.2.1", FailureClass::kOk, "TLSv1.3"),
       result("2001:db8::1", FailureClass::kTlsCertExpired, nullptr)},
      {result("192.0.2.1", FailureClass::kTlsHandshakeFailed, nullptr),
       result("2001:db8::1", FailureClass::kOk, "TLSv1.2")},
      {result("192.0.2.1", FailureClass::kOk, "TLSv1.3"), result("2001:db8::1", FailureClass::kOk, "TLSv1.3")}};
  for (bool per_address : {true, false}) {
    prober::report::MetricsRegistry by_samples, direct;
    prober::report::declare_probe_metrics(by_samples);
    prober::report::declare_probe_metrics(direct);
    prober::report::Labels base{
        {"monitor", "shop \"eu\""}, {"target", "https://shop.example/?a=1,b=2"}, {"type", "http"}};
    for (const auto& results : runs) {
      prober::report::record_samples(by_samples, prober::report::probe_samples(base, results, per_address));
      prober::report::record_probe_series(direct, base, results, per_address);
      CHECK(direct.exposition("probe_success") == by_samples.exposition("probe_success"));
    }
    CHECK(direct.exposition().find("probe_failure_info") == std::string::npos);  // all ok at the end
  }
}

namespace {

// Runs of every shape the probe series have: one to three results of any type, repeated, empty
// and prefix addresses, every severity, optional timings, HTTP facts and certificate chains.
std::vector<CheckResult> random_results(std::mt19937& rng) {
  auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const char* types[] = {"http", "dns", "tls", "tcp"};
  const char* addresses[] = {"127.0.0.1", "::1", "::10", "", "192.0.2.1", "127.0.0.1"};
  const FailureClass classes[] = {FailureClass::kOk, FailureClass::kTcpRefused, FailureClass::kTlsCertExpired,
                                  FailureClass::kHttpBodyMismatch, FailureClass::kHttpHeaderMismatch};
  const prober::checks::Phase phases[] = {prober::checks::Phase::kHttp, prober::checks::Phase::kTls,
                                          prober::checks::Phase::kConnect};
  const Severity severities[] = {Severity::kOk, Severity::kWarning, Severity::kCritical, Severity::kUnknown};
  auto maybe = [&](std::int64_t us) { return pick(3) ? std::optional(prober::checks::Micros(us)) : std::nullopt; };
  std::vector<CheckResult> results(1 + pick(3));
  for (auto& r : results) {
    r.type = types[pick(4)];
    r.address = addresses[pick(6)];
    r.ip_version = pick(3) == 0 ? 0 : r.address.find(':') != std::string::npos ? 6 : 4;
    r.failure = prober::checks::Failure{classes[pick(5)], phases[pick(3)], severities[pick(4)]};
    r.timings.total = prober::checks::Micros(static_cast<std::int64_t>(rng() % 5000000));
    r.timings.dns = maybe(1234);
    r.timings.connect = maybe(98765);
    r.timings.tls = maybe(1);
    r.timings.ttfb = maybe(3000000);
    r.timings.transfer = maybe(17);
    if (pick(2)) r.http.status = static_cast<int>(100 + pick(500));
    const char* versions[] = {"1.1", "2", "1.0"};
    if (pick(2)) r.http.version = versions[pick(3)];
    if (pick(2)) r.http.content_length = static_cast<std::int64_t>(rng() % 100000) - 1;
    r.http.redirects.resize(pick(3));
    if (pick(2)) r.tls.version = pick(2) ? "TLSv1.3" : "TLSv1.2";
    if (pick(2)) {
      r.tls.chain.resize(1 + pick(2));
      for (auto& c : r.tls.chain) c.not_after = 1800000000 + static_cast<std::int64_t>(rng() % 1000000);
      if (pick(2)) r.tls.verified_chain = r.tls.chain;
    }
  }
  return results;
}

}  // namespace

TEST_CASE("/probe's answer is the exposition a registry of the same run renders, text for text") {
  // probe_exposition writes the series directly; a registry holding one run renders the reference.
  std::mt19937 rng(7);
  auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  for (int round = 0; round < 400; ++round) {
    std::vector<CheckResult> results = random_results(rng);
    bool per_address = pick(4) != 0 ? results.size() > 1 : pick(2) == 0;
    prober::report::MetricsRegistry registry;
    prober::report::declare_probe_metrics(registry);
    prober::report::record_probe_series(registry, {}, results, per_address);
    std::string expected = registry.exposition("probe_success");
    std::string direct = prober::report::probe_exposition(results, per_address);
    CHECK(direct == expected);
    if (direct != expected) break;
  }
}

TEST_CASE("remote write: a run's series shape gives its series again, label set for label set") {
  // The stale markers are written from the shape remote write keeps of a monitor's last run: its
  // series must be exactly the ones that run sent (the fingerprint covers every label set, in order).
  std::mt19937 rng(3);
  const char* targets[] = {"https://shop.example/?a=1,b=2", "127.0.0.1:53", "bench.test"};
  for (int round = 0; round < 400; ++round) {
    std::vector<CheckResult> results = random_results(rng);
    bool per_address = rng() % 2 == 0;
    std::string target = targets[rng() % 3];
    const Labels external{{"vantage", "eu-1"}, {"region", "eu"}};
    std::uint64_t sent = 0, again = 0;
    auto samples = prober::report::probe_samples(prober::report::probe_base_labels("shop \"eu\"", results, target),
                                                 results, per_address);
    std::string request = encode_write_request(samples, external, 1000, &sent);
    prober::report::SeriesShape shape(results, target, per_address);
    std::string kept = encode_write_request(shape.samples("shop \"eu\""), external, 2000, &again);
    CHECK(sent == again);
    CHECK(stale_write_request(request, 3000, kept).empty());
    CHECK(stale_write_request(kept, 3000, request).empty());
    if (sent != again) break;
  }
}
