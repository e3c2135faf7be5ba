// Payloads of the push sinks, byte for byte where the protocol fixes them.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <snappy.h>

#include "checks/check_result_json.h"
#include "checks/text.h"
#include "report/alertmanager_sink.h"
#include "report/backoff.h"
#include "report/mackerel_sink.h"
#include "report/remote_write.pb.h"
#include "report/remote_write_sink.h"
#include "report/webhook_sink.h"

using namespace prober::report;
using prober::checks::CheckResult;
using prober::checks::FailureClass;
using prober::checks::Severity;
using prober::net::header_value;
using prober::net::HttpRequestSpec;
using prober::net::judge;
using prober::net::Verdict;
using std::chrono::milliseconds;

namespace {

// A series' shared labels, as probe_samples holds them.
std::shared_ptr<const Labels> shared(Labels labels) { return std::make_shared<const Labels>(std::move(labels)); }

}  // namespace

TEST_CASE("backoff doubles from min to max, jittered between half and all of it, Retry-After a floor") {
  CHECK(backoff_delay(milliseconds(100), milliseconds(5000), 0, 0.0) == milliseconds(50));
  CHECK(backoff_delay(milliseconds(100), milliseconds(5000), 0, 1.0) == milliseconds(100));
  CHECK(backoff_delay(milliseconds(100), milliseconds(5000), 3, 1.0) == milliseconds(800));
  CHECK(backoff_delay(milliseconds(100), milliseconds(5000), 30, 1.0) == milliseconds(5000));
  CHECK(backoff_delay(milliseconds(100), milliseconds(5000), 30, 0.0) == milliseconds(2500));
  CHECK(backoff_delay(milliseconds(100), milliseconds(5000), 0, 0.5, milliseconds(2000)) == milliseconds(2000));
}

TEST_CASE("responses: 2xx delivered; 5xx, 429 and no answer retried; other 4xx dropped") {
  CHECK(judge({204, "", "", {}}).action == Verdict::Action::kDelivered);
  CHECK(judge({500, "", "", {}}).action == Verdict::Action::kRetry);
  CHECK(judge({503, "", "", {}}).reason == "http_5xx");
  CHECK(judge({429, "", "", {}}).reason == "http_429");
  CHECK(judge({0, "refused", "", {}}).reason == "network");
  CHECK(judge({400, "", "", {}}).action == Verdict::Action::kDrop);
  CHECK(judge({400, "", "", {}}).reason == "rejected");
}

TEST_CASE("remote write: labels sorted with __name__, external labels never override, info series expanded") {
  std::vector<ProbeSample> samples{
      {"probe_success", shared({{"monitor", "shop"}, {"vantage", "mine"}}), 1, false, {}},
      {"probe_failure_info", shared({{"monitor", "shop"}}), 1, true, {{"class", "tcp_timeout"}, {"phase", "connect"}}},
      {"probe_tls_version_info", shared({{"monitor", "shop"}}), 1, true, {}},  // none now: not sent
  };
  std::string bytes =
      encode_write_request(samples, {{"vantage", "tokyo-1"}, {"region", "ap"}, {"Provider", "aws"}}, 1764064800123);
  prober::remote_write::WriteRequest req;
  REQUIRE(req.ParseFromString(bytes));
  REQUIRE(req.timeseries_size() == 2);
  const auto& s0 = req.timeseries(0);
  std::vector<std::string> names;
  for (const auto& l : s0.labels()) names.push_back(l.name() + "=" + l.value());
  CHECK(names == std::vector<std::string>{"Provider=aws", "__name__=probe_success", "monitor=shop", "region=ap",
                                          "vantage=mine"});
  REQUIRE(s0.samples_size() == 1);
  CHECK(s0.samples(0).value() == 1);
  CHECK(s0.samples(0).timestamp() == 1764064800123);
  std::vector<std::string> info;
  for (const auto& l : req.timeseries(1).labels()) info.push_back(l.name());
  CHECK(info == std::vector<std::string>{"Provider", "__name__", "class", "monitor", "phase", "region", "vantage"});
}

namespace {

// The encoding through protobuf's own message objects and serializer (what encode_write_request
// did before it wrote the wire format itself): the reference its bytes must equal.
std::string reference_write_request(const std::vector<ProbeSample>& samples, const Labels& external,
                                    std::int64_t at_ms) {
  prober::remote_write::WriteRequest request;
  for (const auto& s : samples) {
    if (s.is_info && s.own.empty()) continue;
    Labels labels = s.labels ? *s.labels : Labels{};
    for (const auto& [k, v] : s.own) labels[k] = v;
    for (const auto& [k, v] : external) labels.emplace(k, v);
    labels["__name__"] = s.name;
    auto* series = request.add_timeseries();
    for (const auto& [k, v] : labels) {
      if (v.empty()) continue;
      auto* label = series->add_labels();
      label->set_name(k);
      label->set_value(prober::checks::valid_utf8(v));
    }
    auto* sample = series->add_samples();
    sample->set_value(s.value);
    sample->set_timestamp(at_ms);
  }
  return request.SerializeAsString();
}

}  // namespace

TEST_CASE("remote write: the wire format written directly is protobuf's serialization, byte for byte") {
  std::mt19937 rng(20261201);
  auto pick = [&](std::initializer_list<const char*> from) {
    return std::string(*(from.begin() + std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)));
  };
  // Overlapping names between a series' labels, its info labels and the external ones; empty
  // values (absent labels), bytes that are not UTF-8, long values (two-byte lengths).
  auto text = [&] { return pick({"", "a", "shop", "tokyo-1", "caf\xc3\xa9", "bad\xff\xfe", "x\xc3"}); };
  auto labels = [&] {
    Labels l;
    int n = std::uniform_int_distribution<int>(0, 5)(rng);
    for (int i = 0; i < n; ++i)
      l[pick({"monitor", "phase", "class", "vantage", "region", "__name__", "Provider", "type"})] =
          rng() % 7 == 0 ? std::string(200 + rng() % 300, 'v') : text();
    return l;
  };
  const double values[] = {0.0,
                           1.0,
                           -1.0,
                           0.25,
                           1e300,
                           -1e-300,
                           std::numeric_limits<double>::infinity(),
                           std::nan(""),
                           1764064800.123,
                           12345678901234.0};
  const std::int64_t times[] = {0, 1, 127, 128, 1764064800123, -5, INT64_MAX, INT64_MIN};
  constexpr std::string_view names[] = {"probe_success", "probe_duration_seconds", "probe_failure_info", "p"};
  for (int round = 0; round < 500; ++round) {
    std::vector<ProbeSample> samples;
    int n = std::uniform_int_distribution<int>(0, 6)(rng);
    for (int i = 0; i < n; ++i) {
      // Series of one result share their labels (the encoder writes those once for them all).
      ProbeSample s{names[rng() % std::size(names)],
                    !samples.empty() && rng() % 2 ? samples.back().labels : shared(labels()),
                    values[rng() % std::size(values)],
                    rng() % 3 == 0,
                    {}};
      if (rng() % 2) s.own = labels();
      samples.push_back(s);
    }
    Labels external = labels();
    std::int64_t at = times[rng() % std::size(times)];
    INFO("round " << round);
    CHECK(encode_write_request(samples, external, at) == reference_write_request(samples, external, at));
  }
  // -0.0 is not the default value: it is sent (protobuf's versions differ in whether they do).
  prober::remote_write::WriteRequest req;
  REQUIRE(req.ParseFromString(encode_write_request({{"p", nullptr, -0.0, false, {}}}, {}, 1)));
  CHECK(std::signbit(req.timeseries(0).samples(0).value()));
}

TEST_CASE(
    "remote write: a batch is the records' WriteRequests concatenated, snappy-compressed, with the spec's headers") {
  std::string a = encode_write_request({{"probe_success", shared({{"monitor", "a"}}), 1, false, {}}}, {}, 1000);
  std::string b = encode_write_request({{"probe_success", shared({{"monitor", "a"}}), 0, false, {}}}, {}, 2000);
  prober::config::RemoteWriteConfig config;
  config.url = "http://127.0.0.1:9090/api/v1/write";
  config.bearer_token.value = "tok";
  // A record as this version spools it, and one as earlier versions did (the bytes as they are).
  auto spec = remote_write_request(config, {{1, 1000, 0, spool_record(a)}, {2, 2000, 0, b}});
  std::string raw;
  REQUIRE(snappy::Uncompress(spec.body.data(), spec.body.size(), &raw));
  prober::remote_write::WriteRequest req;
  REQUIRE(req.ParseFromString(raw));
  REQUIRE(req.timeseries_size() == 2);
  CHECK(req.timeseries(0).samples(0).timestamp() == 1000);
  CHECK(req.timeseries(1).samples(0).value() == 0);
  CHECK(spec.headers == std::vector<std::string>{"Content-Encoding: snappy", "Content-Type: application/x-protobuf",
                                                 "X-Prometheus-Remote-Write-Version: 0.1.0",
                                                 "Authorization: Bearer tok"});
}

TEST_CASE("remote write: a spool record holds its WriteRequest compressed, and a damaged one is left out") {
  std::vector<ProbeSample> samples;
  for (int i = 0; i < 15; ++i)
    samples.push_back({"probe_http_duration_seconds",
                       shared({{"monitor", "shop"}}),
                       0.01 * i,
                       false,
                       {{"phase", std::to_string(i)}}});
  std::string request = encode_write_request(samples, {{"vantage", "tokyo-1"}}, 1764064800123);
  std::string record = spool_record(request);
  CHECK(record.size() < request.size() / 2);
  std::string back;
  REQUIRE(append_write_request(record, back));
  CHECK(back == request);
  back.clear();
  REQUIRE(append_write_request(request, back));  // spooled by an earlier version
  CHECK(back == request);
  REQUIRE(append_write_request(spool_record(""), back));
  CHECK(back == request);  // nothing appended

  std::string damaged = record.substr(0, record.size() / 2);
  CHECK_FALSE(append_write_request(damaged, back));
  CHECK(back == request);  // left as it was
  prober::config::RemoteWriteConfig config;
  config.url = "http://127.0.0.1:9090/api/v1/write";
  auto spec = remote_write_request(config, {{1, 1000, 0, damaged}, {2, 2000, 0, record}});
  std::string raw;
  REQUIRE(snappy::Uncompress(spec.body.data(), spec.body.size(), &raw));
  CHECK(raw == request);
}

TEST_CASE("remote write: a removed monitor's series get Prometheus' stale marker once") {
  std::string bytes = encode_write_request({{"probe_success", shared({{"monitor", "a"}}), 1, false, {}}}, {}, 1000);
  prober::remote_write::WriteRequest req;
  REQUIRE(req.ParseFromString(stale_write_request(bytes, 5000)));
  double v = req.timeseries(0).samples(0).value();
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  CHECK(bits == 0x7ff0000000000002ull);
  CHECK(req.timeseries(0).samples(0).timestamp() == 5000);
}

TEST_CASE("remote write: only the series a run no longer sends get the stale marker, and the fingerprint tells") {
  auto labels = shared({{"monitor", "api"}});
  std::vector<ProbeSample> failing{{"probe_success", labels, 0, false, {}},
                                   {"probe_failure_info", labels, 1, true, {{"class", "tcp_refused"}}}};
  std::vector<ProbeSample> recovered{{"probe_success", labels, 1, false, {}},
                                     {"probe_failure_info", labels, 1, true, {}}};  // none now
  std::uint64_t a = 0, b = 0, c = 0;
  std::string before = encode_write_request(failing, {{"vantage", "v"}}, 1000, &a);
  std::string after = encode_write_request(recovered, {{"vantage", "v"}}, 2000, &b);
  failing[0].value = 0.5;  // other values, the same series
  encode_write_request(failing, {{"vantage", "v"}}, 3000, &c);
  CHECK(a != b);
  CHECK(a == c);

  prober::remote_write::WriteRequest req;
  REQUIRE(req.ParseFromString(stale_write_request(before, 2000, after)));
  REQUIRE(req.timeseries_size() == 1);  // probe_success is still sent: not stale
  std::vector<std::string> names;
  for (const auto& l : req.timeseries(0).labels()) names.push_back(l.name() + "=" + l.value());
  CHECK(names ==
        std::vector<std::string>{"__name__=probe_failure_info", "class=tcp_refused", "monitor=api", "vantage=v"});
  REQUIRE(req.timeseries(0).samples_size() == 1);
  CHECK(std::isnan(req.timeseries(0).samples(0).value()));
  CHECK(req.timeseries(0).samples(0).timestamp() == 2000);
  CHECK(stale_write_request(after, 4000, before).empty());  // nothing of `after` is missing from `before`
  CHECK(stale_write_request(before, 4000, before).empty());
}

namespace {

struct RunFixture {
  prober::config::MonitorConfig monitor;
  std::vector<CheckResult> results;
  std::vector<std::string> lines{"{}"};
  std::vector<std::uint64_t> seqs{7};
  std::vector<ProbeSample> samples;
  prober::alerting::MonitorAlertState state{{3, 1}};
  RunFixture(Severity s, FailureClass c, std::string message) {
    monitor.name = "shop.home";
    monitor.max_check_attempts = 3;
    CheckResult r;
    r.failure.severity = s;
    r.failure.failure_class = c;
    r.message = std::move(message);
    r.address = "127.0.0.1";
    r.timings.dns = std::chrono::microseconds(1500);
    r.timings.total = std::chrono::microseconds(20000);
    results.push_back(r);
  }
  MonitorRun run() {
    return MonitorRun{monitor, results, lines, seqs, samples, results[0], state, std::nullopt, 1764064800500};
  }
};

}  // namespace

TEST_CASE("mackerel: one report per run, as PROTOCOLS.md §3 documents it") {
  RunFixture f(Severity::kCritical, FailureClass::kTcpRefused, std::string(2000, 'x'));
  auto report = mackerel_report(f.run(), 10);
  CHECK(report["name"] == "shop_home");
  CHECK(report["status"] == "CRITICAL");
  CHECK(report["occurredAt"] == 1764064800);
  CHECK(report["maxCheckAttempts"] == 3);
  CHECK(report["notificationInterval"] == 10);
  CHECK(report["message"].get<std::string>().size() == 1024);
  CHECK(!report.contains("source"));  // the host id is added when sent
  CHECK(!mackerel_report(f.run(), std::nullopt).contains("notificationInterval"));
}

TEST_CASE("mackerel: service metrics per phase reached, and success") {
  RunFixture f(Severity::kWarning, FailureClass::kHttpSlow, "slow");
  auto metrics = mackerel_metrics(f.run());
  REQUIRE(metrics.size() == 3);
  CHECK(metrics[0] == nlohmann::json{{"name", "prober.shop.home.dns_ms"}, {"time", 1764064800}, {"value", 1.5}});
  CHECK(metrics[1]["name"] == "prober.shop.home.total_ms");
  CHECK(metrics[2] == nlohmann::json{{"name", "prober.shop.home.success"}, {"time", 1764064800}, {"value", 1}});
}

TEST_CASE("webhook: a JSON array of the results, an Idempotency-Key from the vantage and the seq range") {
  prober::config::WebhookConfig config;
  config.url = "http://127.0.0.1:1/results";
  auto spec = webhook_request(config, "tokyo-1", {{1, 0, 41, R"({"seq":41})"}, {2, 0, 43, R"({"seq":43})"}});
  CHECK(spec.body == R"([{"seq":41},{"seq":43}])");
  CHECK(spec.headers == std::vector<std::string>{"Content-Type: application/json", "Idempotency-Key: tokyo-1:41-43:2"});
}

TEST_CASE("alertmanager: firing alerts end 4 resend intervals ahead, resolved ones at their end, no empty labels") {
  AmAlert firing{{{"alertname", "ProbeFailing"}, {"region", ""}, {"monitor", "shop"}},
                 {{"summary", "down"}},
                 1764064800000,
                 {},
                 "http://v:9465/results#shop"};
  AmAlert resolved{{{"alertname", "ProbeFailing"}, {"monitor", "api"}}, {}, 1764064800000, 1764064860000, ""};
  auto j = alertmanager_payload({&firing, &resolved}, 1764064900000, milliseconds(240000));
  CHECK(j[0]["labels"] == nlohmann::json{{"alertname", "ProbeFailing"}, {"monitor", "shop"}});
  CHECK(j[0]["startsAt"] == "2025-11-25T10:00:00.000Z");
  CHECK(j[0]["endsAt"] == "2025-11-25T10:05:40.000Z");
  CHECK(j[0]["generatorURL"] == "http://v:9465/results#shop");
  CHECK(j[1]["endsAt"] == "2025-11-25T10:01:00.000Z");
  CHECK(!j[1].contains("generatorURL"));
}

namespace {

// Bytes a hostile server can put in any text field: a cut sequence, an invalid byte, a UTF-16
// surrogate, an overlong slash, and a terminal escape.
const std::string kHostile = std::string("a\xc3\x28 b\xff c\xed\xa0\x80 d\xc0\xaf e\x1b[2J", 21);

bool parses_as_strict_json(const std::string& text) {
  // nlohmann rejects invalid UTF-8 when parsing; a discarded value marks the failure.
  return !nlohmann::json::parse(text, nullptr, false).is_discarded();
}

CheckResult hostile_result() {
  CheckResult r;
  r.monitor = "shop";
  r.type = "http";
  r.target = "http://shop.example/";
  r.address = "127.0.0.1";
  r.failure = prober::checks::classify_validation(prober::checks::Validator::kHeader);
  r.message = kHostile;
  r.detail = kHostile;
  r.hints = {kHostile};
  r.http.status = 200;
  r.http.version = kHostile;
  r.http.final_url = kHostile;
  r.http.headers = {{kHostile, kHostile}};
  r.http.redirects.push_back({kHostile, "127.0.0.1", 302, kHostile, {}});
  prober::checks::CertInfo cert;
  cert.subject = kHostile;
  cert.issuer = kHostile;
  cert.subject_cn = kHostile;
  cert.dns_names = {kHostile};
  cert.ca_issuers_url = kHostile;
  r.tls.chain.push_back(cert);
  r.tls.verified_chain.push_back(cert);
  r.tls.cipher = kHostile;
  r.tls.alpn = kHostile;
  r.tls.verify_error = kHostile;
  r.dns.server = kHostile;
  r.dns.question = kHostile;
  r.dns.rcode = kHostile;
  r.dns.answers = {kHostile};
  r.dns.ttls = {1};
  return r;
}

}  // namespace

TEST_CASE("bytes that are not UTF-8 in every field of a result reach every sink as valid UTF-8") {
  CheckResult r = hostile_result();
  std::string line;
  REQUIRE_NOTHROW(line = prober::checks::result_line(r));
  CHECK(parses_as_strict_json(line));
  CHECK(line.find('\x1b') == std::string::npos);  // JSON escapes control characters

  RunFixture f(Severity::kCritical, FailureClass::kHttpHeaderMismatch, kHostile);
  f.results[0] = r;
  f.lines = {line};
  std::string report, metrics;
  REQUIRE_NOTHROW(report = prober::checks::json_text(mackerel_report(f.run(), 10)));
  REQUIRE_NOTHROW(metrics = prober::checks::json_text(mackerel_metrics(f.run())));
  CHECK(parses_as_strict_json(report));
  CHECK(parses_as_strict_json(metrics));

  AmAlert alert{{{"alertname", "ProbeFailing"}, {"class", kHostile}},
                {{"summary", kHostile}, {"description", kHostile}},
                1764064800000,
                {},
                kHostile};
  std::string am;
  REQUIRE_NOTHROW(am = prober::checks::json_text(alertmanager_payload({&alert}, 1764064900000, milliseconds(240000))));
  CHECK(parses_as_strict_json(am));

  prober::config::WebhookConfig config;
  config.url = "http://127.0.0.1:1/results";
  CHECK(parses_as_strict_json(webhook_request(config, "tokyo-1", {{1, 0, 1, line}}).body));

  std::vector<ProbeSample> samples{
      {"probe_success", shared({{"monitor", "shop"}, {"address", kHostile}}), 0, false, {}},
      {"probe_failure_info", shared({{"monitor", "shop"}}), 1, true, {{"class", kHostile}}}};
  prober::remote_write::WriteRequest req;
  REQUIRE(req.ParseFromString(encode_write_request(samples, {{"region", kHostile}}, 1764064800123)));
  for (const auto& series : req.timeseries()) {
    for (const auto& label : series.labels()) CHECK(prober::checks::valid_utf8(label.value()) == label.value());
  }
}

TEST_CASE("valid_utf8 keeps valid text and replaces each bad byte; printable hides control characters") {
  using prober::checks::printable;
  using prober::checks::valid_utf8;
  CHECK(valid_utf8("plain ascii") == "plain ascii");
  CHECK(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  const std::string fffd = "\xef\xbf\xbd";
  CHECK(valid_utf8("\xc3\x28") == fffd + "(");
  CHECK(valid_utf8("\xff") == fffd);
  CHECK(valid_utf8("\xc0\xaf") == fffd + fffd);                        // overlong '/'
  CHECK(valid_utf8("\xed\xa0\x80") == fffd + fffd + fffd);             // surrogate
  CHECK(valid_utf8("\xf4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // past U+10FFFF
  CHECK(valid_utf8("\xe2\x82") == fffd + fffd);                        // cut short
  CHECK(valid_utf8(std::string("a\0b", 3)) == std::string("a\0b", 3));
  CHECK(printable("red \x1b[31mtext\r\n\tok") == "red ?[31mtext??\tok");
}
