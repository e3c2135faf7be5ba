#pragma once
// What http, tls and tcp checks share: resolve the target's host (c-ares), pick the addresses
// per ip_version, run one probe per address concurrently, and report when all are done.
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "checks/check.h"
#include "checks/check_env.h"
#include "checks/curl_transfer.h"
#include "checks/destination_policy.h"
#include "checks/url.h"
#include "config/monitor_config.h"

namespace prober::checks {

// What every run of a target check reads and none changes. Every configured monitor holds one:
// its target is kept as where the URL and host are in the monitor's own text (what parsing gives
// back unchanged, mostly), not as a ParsedUrl's three strings.
class TargetSpec {
 public:
  TargetSpec(std::shared_ptr<const config::MonitorConfig> monitor, const ParsedUrl& target,
             std::shared_ptr<const DestinationPolicy> policy);
  const config::MonitorConfig& monitor() const { return *shared_monitor; }
  ParsedUrl target() const;
  std::string_view url() const { return text().substr(0, url_size_); }  // normalised
  std::string_view scheme() const { return https_ ? "https" : "http"; }
  std::string_view host() const { return text().substr(host_at_, host_size_); }
  int port() const { return port_; }

  std::shared_ptr<const config::MonitorConfig> shared_monitor;  // the configuration's own, not a copy
  std::shared_ptr<const DestinationPolicy> policy;              // never null; open for configured monitors

 private:
  std::string_view text() const { return own_text_ ? std::string_view(*own_text_) : monitor().target; }
  // The URL, then the host where it is not in the URL as it is; null: the monitor's target text
  // is the URL and holds the host.
  std::unique_ptr<const std::string> own_text_;
  std::uint32_t url_size_ = 0;
  std::uint32_t host_at_ = 0;
  std::uint32_t host_size_ = 0;
  std::uint16_t port_ = 0;
  bool https_ = false;
};

// The spec of `monitor` with `target`, or why its destination policy cannot be built.
std::variant<std::shared_ptr<const TargetSpec>, std::string> make_target_spec(
    std::shared_ptr<const config::MonitorConfig> monitor, const ParsedUrl& target);

// One address's probe within one run. It calls `finish` exactly once unless aborted or
// destroyed first; destroying it stops its I/O.
class Probe {
 public:
  using Finish = std::function<void(CheckResult)>;
  virtual ~Probe() = default;
  virtual void start() = 0;
  // Deadline: stop, and return the result classified by the phase in progress.
  virtual CheckResult abort() noexcept = 0;
};

// Makes a run's probe for one address. `base` carries monitor, target, address, dns timing and
// facts; the run passes its environment and spec, and the agent's hold-ups when the run started
// (CheckEnv::hold_ups): base's dns timing includes any since. Shared by the check and its runs (a
// run may outlive a reload that dropped its check); what a kind of probe needs beyond the spec,
// its factory holds (an HTTP check's compiled expectations).
class ProbeFactory {
 public:
  virtual ~ProbeFactory() = default;
  virtual std::unique_ptr<Probe> make(const CheckEnv& env, const std::shared_ptr<const TargetSpec>& spec,
                                      CheckResult base, std::chrono::milliseconds held_at_start,
                                      Probe::Finish finish) const = 0;
};

class TargetCheck final : public Check {
 public:
  TargetCheck(CheckEnv env, std::shared_ptr<const TargetSpec> spec, std::shared_ptr<const ProbeFactory> probes);
  std::unique_ptr<CheckRun> start(DoneCallback done) const override;

 private:
  CheckEnv env_;
  std::shared_ptr<const TargetSpec> spec_;
  std::shared_ptr<const ProbeFactory> probes_;
};

// The result every run of `monitor` starts from.
CheckResult base_result(const config::MonitorConfig& monitor, std::chrono::system_clock::time_point started_at);
// Copies what a transfer found into a result: timings (added to what is there), TLS facts,
// the raw error, and the classification of how the transfer ended.
void apply_transfer(CheckResult& result, TransferReport& report);
std::int64_t unix_now();
// Speak TLS (SNI, certificate name) and HTTP (Host) for `server_name` while still connecting to
// `address`, the resolved address of the URL's own host.
void use_server_name(TransferRequest& request, const ParsedUrl& url, const std::string& server_name,
                     const std::string& address);

}  // namespace prober::checks
