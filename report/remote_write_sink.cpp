#include "report/remote_write_sink.h"

#include <snappy.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <set>
#include <tuple>

#include "checks/text.h"
#include "report/protobuf_wire.h"
#include "report/remote_write.pb.h"

namespace prober::report {
namespace {

constexpr char kQueue[] = "remote_write";
constexpr std::uint64_t kGatherMs = 100;
constexpr std::size_t kGatherBytes = std::size_t{64} * 1024;
// A request's records, as spooled (compressed): ~2 MiB of WriteRequest, ~0.5 MiB sent. A record
// holds many runs, so batch_max records alone could make a request of tens of MiB after an
// outage, more than receivers take.
constexpr std::size_t kBatchBytes = std::size_t{512} * 1024;

// Prometheus' staleness marker: a NaN with this exact bit pattern.
double stale_nan() {
  const std::uint64_t bits = 0x7ff0000000000002ull;
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// The first byte of a record that holds a snappy-compressed WriteRequest. A serialized
// WriteRequest starts with field 1's tag (0x0a), or is empty.
constexpr char kCompressed = '\x01';

// Field numbers of remote_write.proto.
constexpr std::uint32_t kTimeseries = 1, kLabels = 1, kSamples = 2, kName = 1, kValue = 2, kSampleValue = 1,
                        kTimestamp = 2;

// One label of a series being encoded, and which source it came from: of two with one name the
// lower rank wins (__name__, then the series' own, then its shared ones, then the external ones).
struct LabelRef {
  std::string_view name;
  std::string_view value;
  int rank;
};

// Sorted by name, the winner of each name kept. A winner with an empty value stays: an empty value
// is an absent label, so it hides the name altogether and is left out only when written. Values
// that are not UTF-8 (protobuf strings are; receivers reject the rest) are made so into
// `repaired`, which must not reallocate meanwhile.
void settle(std::vector<LabelRef>& labels, std::vector<std::string>& repaired) {
  std::sort(labels.begin(), labels.end(),
            [](const LabelRef& a, const LabelRef& b) { return std::tie(a.name, a.rank) < std::tie(b.name, b.rank); });
  labels.erase(
      std::unique(labels.begin(), labels.end(), [](const LabelRef& a, const LabelRef& b) { return a.name == b.name; }),
      labels.end());
  for (auto& l : labels) {
    if (checks::is_valid_utf8(l.value)) continue;
    repaired.push_back(checks::valid_utf8(l.value));
    l.value = repaired.back();
  }
}

std::size_t label_size(const LabelRef& l) {
  return wire::string_field_size(kName, l.name) + wire::string_field_size(kValue, l.value);
}

void put_label(std::string& out, const LabelRef& l, std::size_t size) {
  wire::put_message_header(out, kLabels, size);
  wire::put_string(out, kName, l.name);
  wire::put_string(out, kValue, l.value);
}

// The labels a result's series have in common, its shared ones with the external ones merged in,
// settled and written as Label messages once (an absent one as none): a series adds its name and
// own labels in between.
class CommonLabels {
 public:
  struct Encoded {
    std::string_view name;
    std::size_t at, size;  // of its whole Label message in bytes()
  };

  void reset(const Labels* shared, const Labels& external) {
    std::vector<LabelRef> labels;
    std::vector<std::string> repaired;
    repaired.reserve((shared ? shared->size() : 0) + external.size());
    if (shared)
      for (const auto& [k, v] : *shared) labels.push_back({k, v, 2});
    for (const auto& [k, v] : external) labels.push_back({k, v, 3});
    settle(labels, repaired);
    bytes_.clear();
    encoded_.clear();
    for (const auto& l : labels) {
      if (l.value.empty()) continue;
      std::size_t at = bytes_.size();
      put_label(bytes_, l, label_size(l));
      encoded_.push_back({l.name, at, bytes_.size() - at});
    }
  }
  const std::vector<Encoded>& labels() const { return encoded_; }
  std::string_view bytes(const Encoded& e) const { return std::string_view(bytes_).substr(e.at, e.size); }

 private:
  std::string bytes_;
  std::vector<Encoded> encoded_;
};

}  // namespace

// Written straight in protobuf's wire format (remote_write.proto's messages, the same bytes its
// serializer makes: sinks_test compares them), for every run of every monitor.
std::string encode_write_request(const std::vector<ProbeSample>& samples, const Labels& external, std::int64_t at_ms,
                                 std::uint64_t* series_fingerprint) {
  std::string out;
  std::uint64_t fingerprint = 0;
  CommonLabels common;
  const Labels* common_of = nullptr;
  bool have_common = false;
  std::vector<LabelRef> own;
  std::vector<std::string> repaired;
  // A series' labels in order: one of its own (`own` index, `common` null) or a common one.
  struct Part {
    const CommonLabels::Encoded* common;
    std::size_t own, size;
  };
  std::vector<Part> parts;
  for (const auto& s : samples) {
    if (s.is_info && s.own.empty()) continue;  // "no info series now"
    if (!have_common || s.labels.get() != common_of) {
      common_of = s.labels.get();
      common.reset(common_of, external);
      have_common = true;
    }
    own.clear();
    repaired.clear();
    repaired.reserve(s.own.size() + 1);
    own.push_back({"__name__", s.name, 0});
    for (const auto& [k, v] : s.own) own.push_back({k, v, 1});
    // Most series have a name and nothing else of their own: nothing to sort or repair.
    if (own.size() > 1 || !checks::is_valid_utf8(s.name)) settle(own, repaired);
    // Both sorted: merged, a common label giving way to an own label (or __name__) of its name,
    // even one with an empty value (absent: not written).
    parts.clear();
    std::size_t series = 0;
    auto o = own.begin();
    auto c = common.labels().begin();
    auto take_own = [&] {
      if (!o->value.empty()) {
        std::size_t size = label_size(*o);
        parts.push_back({nullptr, static_cast<std::size_t>(o - own.begin()), size});
        series += wire::field_size(kLabels, size);
      }
      ++o;
    };
    while (c != common.labels().end()) {
      if (o != own.end() && o->name <= c->name) {
        if (o->name == c->name) ++c;
        take_own();
        continue;
      }
      parts.push_back({&*c, 0, c->size});
      series += c->size;
      ++c;
    }
    while (o != own.end()) take_own();
    std::size_t sample = wire::double_field_size(kSampleValue, s.value) + wire::int64_field_size(kTimestamp, at_ms);
    series += wire::field_size(kSamples, sample);
    out.reserve(out.size() + wire::field_size(kTimeseries, series));
    wire::put_message_header(out, kTimeseries, series);
    std::size_t labels_at = out.size();
    for (const auto& p : parts) {
      if (p.common)
        out += common.bytes(*p.common);
      else
        put_label(out, own[p.own], p.size);
    }
    fingerprint = fingerprint * 1099511628211u + std::hash<std::string_view>()(std::string_view(out).substr(labels_at));
    wire::put_message_header(out, kSamples, sample);
    wire::put_double(out, kSampleValue, s.value);
    wire::put_int64(out, kTimestamp, at_ms);
  }
  if (series_fingerprint) *series_fingerprint = fingerprint;
  return out;
}

std::string stale_write_request(const std::string& bytes, std::int64_t at_ms, const std::string& still_sent) {
  remote_write::WriteRequest request, kept;
  if (!request.ParseFromString(bytes) || !kept.ParseFromString(still_sent)) return "";
  auto identity = [](const remote_write::TimeSeries& series) {
    std::string id;
    for (const auto& l : series.labels()) id.append(l.name()).append(1, '\0').append(l.value()).append(1, '\0');
    return id;
  };
  std::set<std::string> kept_series;
  for (const auto& series : kept.timeseries()) kept_series.insert(identity(series));
  remote_write::WriteRequest stale;
  for (auto& series : *request.mutable_timeseries()) {
    if (kept_series.count(identity(series))) continue;
    auto* marked = stale.add_timeseries();
    marked->mutable_labels()->Swap(series.mutable_labels());
    auto* sample = marked->add_samples();
    sample->set_value(stale_nan());
    sample->set_timestamp(at_ms);
  }
  return stale.SerializeAsString();
}

std::string spool_record(const std::string& write_request) {
  std::string record(1 + snappy::MaxCompressedLength(write_request.size()), kCompressed);
  std::size_t size = 0;
  snappy::RawCompress(write_request.data(), write_request.size(), record.data() + 1, &size);
  record.resize(1 + size);
  return record;
}

bool append_write_request(const std::string& record, std::string& out) {
  if (record.empty() || record[0] != kCompressed) {
    out += record;
    return true;
  }
  std::size_t size = 0;
  if (!snappy::GetUncompressedLength(record.data() + 1, record.size() - 1, &size)) return false;
  std::size_t at = out.size();
  out.resize(at + size);
  if (snappy::RawUncompress(record.data() + 1, record.size() - 1, out.data() + at)) return true;
  out.resize(at);
  return false;
}

net::HttpRequestSpec remote_write_request(const config::RemoteWriteConfig& config,
                                          const std::vector<SpoolRecord>& batch) {
  std::string body;
  for (const auto& r : batch) append_write_request(r.payload, body);  // a damaged record is left out
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
      delivery_(
          loop, spool, http, metrics, "remote_write", kQueue, config_.delivery,
          [this](const std::vector<SpoolRecord>& batch) { return remote_write_request(config_, batch); }, net::judge,
          kBatchBytes),
      gather_timer_(loop) {
  for (const auto& [k, v] : vantage.labels) external_[k] = v;
  external_["vantage"] = vantage.name;
  if (!vantage.region.empty()) external_["region"] = vantage.region;
  delivery_.kick(0);  // what an earlier run left in the spool goes out first
}

RemoteWriteSink::~RemoteWriteSink() { spool_gathered(false); }  // delivered after a restart

void RemoteWriteSink::append(const std::string& write_request, std::int64_t at_ms) {
  if (gathered_.empty()) {
    gathered_at_ms_ = at_ms;
    gather_timer_.start(kGatherMs, 0, [this] { spool_gathered(); });
  }
  gathered_at_ms_ = std::min(gathered_at_ms_, at_ms);
  gathered_ += write_request;
  if (gathered_.size() >= kGatherBytes) spool_gathered();
}

void RemoteWriteSink::spool_gathered(bool kick) {
  gather_timer_.stop();
  if (gathered_.empty()) return;
  spool_.append(kQueue, spool_record(gathered_), gathered_at_ms_);
  gathered_.clear();
  if (gathered_.capacity() > 2 * kGatherBytes) gathered_.shrink_to_fit();  // after one very large run
  if (kick) delivery_.kick();
}

void RemoteWriteSink::drain(std::function<void()> done) {
  spool_gathered();
  delivery_.drain(std::move(done));
}

void RemoteWriteSink::on_run(const MonitorRun& run) {
  std::uint64_t series = 0;
  std::string request = encode_write_request(run.samples, external_, run.at_ms, &series);
  auto [last, first] = last_.try_emplace(run.monitor.name);
  // The same series as the last run (most runs): the shape kept gives them already.
  if (first || last->second.series != series) {
    if (!first) {  // what this run no longer sends ends now
      std::string previous = encode_write_request(last->second.shape.samples(run.monitor.name), external_, run.at_ms);
      request += stale_write_request(previous, run.at_ms, request);
    }
    last->second = {SeriesShape(run.results, run.monitor.target, run.monitor.ip_version == config::IpVersion::kEach),
                    series};
  }
  append(request, run.at_ms);
}

void RemoteWriteSink::on_vantage_samples(const std::vector<ProbeSample>& samples, std::int64_t at_ms) {
  append(encode_write_request(samples, external_, at_ms), at_ms);
}

void RemoteWriteSink::on_monitor_removed(const std::string& monitor) {
  auto it = last_.find(monitor);
  if (it == last_.end()) return;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::string previous = encode_write_request(it->second.shape.samples(monitor), external_, now);
  append(stale_write_request(previous, now), now);
  last_.erase(it);
}

}  // namespace prober::report
