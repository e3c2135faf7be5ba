// Every payload built from a result, fed results whose text fields hold any bytes: the JSONL
// line and webhook body, Mackerel's report and metrics, the Alertmanager alert, the remote
// write request (which protobuf must read back) and its spool record, the exposition and the
// human output. None may throw, and every JSON one must parse as strict (valid UTF-8) JSON.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "../tests/support/result_json_reference.h"
#include "checks/check_result_json.h"
#include "checks/explain.h"
#include "checks/text.h"
#include "report/alertmanager_sink.h"
#include "report/mackerel_sink.h"
#include "report/metrics_registry.h"
#include "report/probe_metrics.h"
#include "report/remote_write.pb.h"
#include "report/remote_write_sink.h"

namespace {

void must_parse(const std::string& text) {
  try {
    (void)nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace prober;
  FuzzedDataProvider in(data, size);
  auto text = [&in] { return in.ConsumeRandomLengthString(64); };
  checks::CheckResult r;
  r.monitor = "m";
  r.type = in.PickValueInArray({"http", "tls", "tcp", "dns"});
  r.target = text();
  r.address = text();
  r.ip_version = in.PickValueInArray({0, 4, 6});
  r.failure.failure_class = static_cast<checks::FailureClass>(
      in.ConsumeIntegralInRange<int>(0, static_cast<int>(checks::FailureClass::kInternalError)));
  r.failure.phase = static_cast<checks::Phase>(in.ConsumeIntegralInRange<int>(0, 4));
  r.failure.severity = static_cast<checks::Severity>(in.ConsumeIntegralInRange<int>(0, 3));
  r.detail = text();
  r.http.status = in.ConsumeIntegralInRange<int>(0, 999);
  r.http.version = text();
  r.http.headers = {{text(), text()}};
  r.http.redirects.push_back({text(), text(), 302, text(), {}});
  checks::CertInfo cert;
  cert.subject = text();
  cert.issuer = text();
  cert.subject_cn = text();
  cert.issuer_cn = text();
  cert.dns_names = {text()};
  cert.not_after = in.ConsumeIntegral<std::int64_t>() % 100000000000;
  r.tls.chain = {cert};
  r.tls.version = text();
  r.tls.verify_error = text();
  r.dns.server = text();
  r.dns.question = text();
  r.dns.answers = {text()};
  r.dns.ttls = {1};
  r.timings.total = checks::Micros(in.ConsumeIntegralInRange<std::int64_t>(0, 1'000'000'000));
  std::vector<checks::CheckResult> results{r};
  checks::explain(results);

  std::string line = checks::result_line(results[0]);
  must_parse(line);
  // Written straight into text, it is exactly what nlohmann's document wrote.
  if (line != prober::testing::reference::line(results[0], nullptr)) __builtin_trap();

  config::MonitorConfig monitor;
  monitor.name = "m";
  alerting::MonitorAlertState state{{3, 1}};
  report::Labels base{{"monitor", "m"}, {"type", results[0].type}, {"target", results[0].target}};
  bool per_address = in.ConsumeBool();
  auto samples = report::probe_samples(base, results, per_address);
  report::MonitorRun run{monitor, results, {line}, {1}, samples, results[0], state, std::nullopt, 1764064800500};
  must_parse(checks::json_text(report::mackerel_report(run, 10)));
  must_parse(checks::json_text(report::mackerel_metrics(run)));
  report::AmAlert alert{
      {{"alertname", "ProbeFailing"}, {"class", text()}}, {{"summary", results[0].message}}, 1764064800000, {}, text()};
  must_parse(checks::json_text(report::alertmanager_payload({&alert}, 1764064900000, std::chrono::minutes(4))));
  // Written straight in the wire format: protobuf must read it back, each series' labels sorted
  // by name without repeats, every value UTF-8.
  remote_write::WriteRequest request;
  const report::Labels external{{"region", text()}};
  std::string bytes = report::encode_write_request(samples, external, 1764064800123);
  if (!request.ParseFromString(bytes)) __builtin_trap();
  // Spooled compressed, read back the same; a damaged record (a prefix, or any bytes) is
  // refused or read, never a crash.
  std::string record = report::spool_record(bytes), back;
  if (!report::append_write_request(record, back) || back != bytes) __builtin_trap();
  (void)report::append_write_request(record.substr(0, in.ConsumeIntegralInRange<std::size_t>(0, record.size())), back);
  (void)report::append_write_request(in.ConsumeRandomLengthString(256), back);
  // The series a later run no longer sends (here: those after a prefix) get the stale marker,
  // and only those: as many as the prefix left out, every sample the marker.
  std::vector<report::ProbeSample> prefix(samples.begin(),
                                          samples.begin() + in.ConsumeIntegralInRange<std::size_t>(0, samples.size()));
  remote_write::WriteRequest still, stale;
  if (!still.ParseFromString(report::encode_write_request(prefix, external, 1764064800124)) ||
      !stale.ParseFromString(report::stale_write_request(bytes, 1764064800124, still.SerializeAsString())))
    __builtin_trap();
  if (stale.timeseries_size() != request.timeseries_size() - still.timeseries_size()) __builtin_trap();
  for (const auto& series : stale.timeseries())
    if (series.samples_size() != 1 || !std::isnan(series.samples(0).value())) __builtin_trap();
  for (const auto& series : request.timeseries()) {
    for (int i = 0; i < series.labels_size(); ++i) {
      if (!checks::is_valid_utf8(series.labels(i).value())) __builtin_trap();
      if (i > 0 && !(series.labels(i - 1).name() < series.labels(i).name())) __builtin_trap();
    }
  }
  report::MetricsRegistry registry;
  report::declare_probe_metrics(registry);
  report::record_samples(registry, samples);
  // The agent's direct path renders each label set once and inserts the rest as text: the same
  // exposition, whatever bytes the labels hold.
  report::MetricsRegistry direct;
  report::declare_probe_metrics(direct);
  report::record_probe_series(direct, base, results, per_address);
  if (direct.exposition() != registry.exposition()) __builtin_trap();
  return 0;
}
