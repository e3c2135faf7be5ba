#pragma once
// Prometheus remote write 1.0 (PROTOCOLS.md §1). The runs' probe_* series become spool records:
// serialized WriteRequests, snappy-compressed (a quarter of the bytes for the spool to write and
// keep through an outage), the runs that finish within 100 ms of each other in one record.
// Serialized protobuf messages concatenate into their merge, so a batch is the records' requests
// back to back, snappy-compressed again: no protobuf is decoded. Every series carries the
// external labels vantage, region and the vantage's labels.
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "config/sinks_config.h"
#include "io/uv_timer.h"
#include "report/delivery.h"
#include "report/series_shape.h"
#include "report/sink.h"

namespace prober::report {

// The WriteRequest bytes of `samples` at `at_ms`, `external` labels added (never overriding).
// `series` (if given) is set to a fingerprint of the series' label sets: equal for two requests
// of the same series in the same order.
std::string encode_write_request(const std::vector<ProbeSample>& samples, const Labels& external, std::int64_t at_ms,
                                 std::uint64_t* series = nullptr);
// The series of `write_request` that `still_sent` (another WriteRequest) does not have, each with
// the stale marker (PROTOCOLS.md §1) at `at_ms`: all of them for a removed monitor; a failure's
// info series after recovery, or an address DNS no longer gives, for a run that no longer sends them.
std::string stale_write_request(const std::string& write_request, std::int64_t at_ms,
                                const std::string& still_sent = "");
// The spool record of a WriteRequest; and a record's WriteRequest appended to `out` (false, and
// `out` as it was: a damaged record). Records spooled by versions that stored the bytes as they
// are (a WriteRequest starts with 0x0a, never the compressed record's marker) are read as they are.
std::string spool_record(const std::string& write_request);
bool append_write_request(const std::string& record, std::string& out);
// The HTTP request for a batch of spool records (a damaged record is left out).
net::HttpRequestSpec remote_write_request(const config::RemoteWriteConfig& config,
                                          const std::vector<SpoolRecord>& batch);

class RemoteWriteSink final : public Sink {
 public:
  RemoteWriteSink(uv_loop_t* loop, Spool& spool, net::HttpClient& http, MetricsRegistry& metrics,
                  config::RemoteWriteConfig config, const Vantage& vantage);
  void on_run(const MonitorRun& run) override;
  void on_vantage_samples(const std::vector<ProbeSample>& samples, std::int64_t at_ms) override;
  bool wants_samples() const override { return true; }
  void on_monitor_removed(const std::string& monitor) override;
  void drain(std::function<void()> done) override;
  ~RemoteWriteSink() override;
  RemoteWriteSink(const RemoteWriteSink&) = delete;
  RemoteWriteSink& operator=(const RemoteWriteSink&) = delete;

 private:
  void append(const std::string& write_request, std::int64_t at_ms);
  // Spools what was gathered, as one record; `kick`: tell the delivery.
  void spool_gathered(bool kick = true);

  Spool& spool_;
  config::RemoteWriteConfig config_;
  Labels external_;
  // Each monitor's last series (their shape and fingerprint), for the stale markers of series a
  // run no longer sends (Prometheus would otherwise show them for its lookback, five minutes: a
  // failure's info series long after the recovery) and of a removed monitor's.
  struct Last {
    SeriesShape shape;
    std::uint64_t series = 0;
  };
  std::unordered_map<std::string, Last> last_;
  // The WriteRequests of runs that finished within kGatherMs of the first, spooled as one record
  // (up to kGatherBytes): the spool's writer then inserts, fetches and deletes one row for many
  // runs instead of one each, its largest cost per run. A run's series wait that much longer
  // before the disk; drain() and the destructor spool what waits.
  std::string gathered_;
  std::int64_t gathered_at_ms_ = 0;  // the oldest of them
  Delivery delivery_;
  io::UvTimer gather_timer_;
};

}  // namespace prober::report
