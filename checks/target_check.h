#pragma once
// What http, tls and tcp checks share: resolve the target's host (c-ares), pick the addresses
// per ip_version, run one probe per address concurrently, and report when all are done.
#include <functional>
#include <memory>
#include <vector>

#include "checks/address_lookup.h"
#include "checks/check.h"
#include "checks/curl_transfer.h"
#include "checks/url.h"
#include "config/monitor_config.h"

namespace prober::checks {

// One address's probe. It calls `finish` exactly once unless aborted.
class Probe {
 public:
  virtual ~Probe() = default;
  virtual void start(RunContext& ctx) = 0;
  // Deadline: stop, and return the result classified by the phase in progress.
  virtual CheckResult abort() noexcept = 0;
};

class TargetCheck : public Check {
 public:
  void start(RunContext& ctx, DoneCallback done) override;
  std::vector<CheckResult> cancel() noexcept override;

 protected:
  using Finish = std::function<void(CheckResult)>;
  TargetCheck(config::MonitorConfig monitor, ParsedUrl target);
  // `base` carries monitor, target, address, dns timing and facts.
  virtual std::unique_ptr<Probe> make_probe(CheckResult base, Finish finish) = 0;

  const config::MonitorConfig& monitor() const { return monitor_; }
  const ParsedUrl& target() const { return target_; }

 private:
  void on_addresses(AddressLookupResult lookup);
  void on_probe_done(std::size_t index, CheckResult result);
  CheckResult base_result() const;

  config::MonitorConfig monitor_;
  ParsedUrl target_;
  RunContext* ctx_ = nullptr;
  DoneCallback done_;
  AddressLookup lookup_;
  bool looking_up_ = false;
  AddressLookupResult addresses_;
  std::chrono::system_clock::time_point started_at_;
  std::vector<std::unique_ptr<Probe>> probes_;
  std::vector<std::optional<CheckResult>> results_;
  std::size_t pending_ = 0;
};

// Copies what a transfer found into a result: timings (added to what is there), TLS facts,
// the raw error, and the classification of how the transfer ended.
void apply_transfer(CheckResult& result, TransferReport& report);
std::int64_t unix_now();
// Speak TLS (SNI, certificate name) and HTTP (Host) for `server_name` while still connecting to
// `address`, the resolved address of the URL's own host.
void use_server_name(TransferRequest& request, const ParsedUrl& url, const std::string& server_name,
                     const std::string& address);

}  // namespace prober::checks
