#include "report/remote_write_sink.h"

#include <snappy.h>

#include <chrono>
#include <cstring>

#include "checks/text.h"
#include "report/remote_write.pb.h"

namespace prober::report {
namespace {

constexpr char kQueue[] = "remote_write";

// Prometheus' staleness marker: a NaN with this exact bit pattern.
double stale_nan() {
  const std::uint64_t bits = 0x7ff0000000000002ull;
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace

std::string encode_write_request(const std::vector<ProbeSample>& samples, const Labels& external, std::int64_t at_ms) {
  remote_write::WriteRequest request;
  for (const auto& s : samples) {
    if (s.is_info && s.info.empty()) continue;  // "no info series now"
    Labels labels = s.labels;
    for (const auto& [k, v] : s.info) labels[k] = v;
    for (const auto& [k, v] : external) labels.emplace(k, v);
    labels["__name__"] = s.name;
    auto* series = request.add_timeseries();
    for (const auto& [k, v] : labels) {  // std::map: sorted by name, as the spec requires
      if (v.empty()) continue;           // an empty value is an absent label
      auto* label = series->add_labels();
      label->set_name(k);
      label->set_value(checks::valid_utf8(v));  // protobuf strings are UTF-8; receivers reject the rest
    }
    auto* sample = series->add_samples();
    sample->set_value(s.value);
    sample->set_timestamp(at_ms);
  }
  return request.SerializeAsString();
}

std::string stale_write_request(const std::string& bytes, std::int64_t at_ms) {
  remote_write::WriteRequest request;
  if (!request.ParseFromString(bytes)) return "";
  for (auto& series : *request.mutable_timeseries()) {
    series.clear_samples();
    auto* sample = series.add_samples();
    sample->set_value(stale_nan());
    sample->set_timestamp(at_ms);
  }
  return request.SerializeAsString();
}

net::HttpRequestSpec remote_write_request(const config::RemoteWriteConfig& config,
                                          const std::vector<SpoolRecord>& batch) {
  std::string body;
  std::size_t size = 0;
  for (const auto& r : batch) size += r.payload.size();
  body.reserve(size);
  for (const auto& r : batch) body += r.payload;
  net::HttpRequestSpec spec;
  spec.url = config.url;
  snappy::Compress(body.data(), body.size(), &spec.body);
  spec.headers = {"Content-Encoding: snappy", "Content-Type: application/x-protobuf",
                  "X-Prometheus-Remote-Write-Version: 0.1.0"};
  if (!config.bearer_token.value.empty()) spec.headers.push_back("Authorization: Bearer " + config.bearer_token.value);
  return spec;
}

RemoteWriteSink::RemoteWriteSink(uv_loop_t* loop, Spool& spool, net::HttpClient& http, MetricsRegistry& metrics,
                                 config::RemoteWriteConfig config, const Vantage& vantage)
    : spool_(spool),
      config_(std::move(config)),
      delivery_(loop, spool, http, metrics, "remote_write", kQueue, config_.delivery,
                [this](const std::vector<SpoolRecord>& batch) { return remote_write_request(config_, batch); }) {
  for (const auto& [k, v] : vantage.labels) external_[k] = v;
  external_["vantage"] = vantage.name;
  if (!vantage.region.empty()) external_["region"] = vantage.region;
  delivery_.kick(0);  // what an earlier run left in the spool goes out first
}

void RemoteWriteSink::append(std::string write_request, std::int64_t at_ms) {
  spool_.append(kQueue, std::move(write_request), at_ms);
  delivery_.kick();
}

void RemoteWriteSink::on_run(const MonitorRun& run) {
  std::string bytes = encode_write_request(run.samples, external_, run.at_ms);
  snappy::Compress(bytes.data(), bytes.size(), &last_[run.monitor.name]);
  append(std::move(bytes), run.at_ms);
}

void RemoteWriteSink::on_vantage_samples(const std::vector<ProbeSample>& samples, std::int64_t at_ms) {
  append(encode_write_request(samples, external_, at_ms), at_ms);
}

void RemoteWriteSink::on_monitor_removed(const std::string& monitor) {
  auto it = last_.find(monitor);
  if (it == last_.end()) return;
  std::string bytes;
  if (snappy::Uncompress(it->second.data(), it->second.size(), &bytes)) {
    auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    append(stale_write_request(bytes, now), now);
  }
  last_.erase(it);
}

}  // namespace prober::report
