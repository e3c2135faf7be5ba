#pragma once
// DNS check: one question to one server (or the system's), over UDP or TCP; the rcode and the
// answers are compared with the expectations.
#include <re2/re2.h>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "checks/check.h"
#include "config/monitor_config.h"

namespace prober::checks {

class DnsCheck final : public Check {
 public:
  static std::variant<std::unique_ptr<Check>, std::string> create(const config::MonitorConfig& monitor);
  DnsCheck(config::MonitorConfig monitor, int type, int expected_rcode,
           std::vector<std::unique_ptr<re2::RE2>> answer_patterns);
  ~DnsCheck() override { cancel(); }

  void start(RunContext& ctx, DoneCallback done) override;
  std::vector<CheckResult> cancel() noexcept override;

 private:
  void on_reply(io::DnsReply reply);
  CheckResult base_result() const;

  config::MonitorConfig monitor_;
  int type_;
  int expected_rcode_;
  std::vector<std::unique_ptr<re2::RE2>> answer_patterns_;
  io::AresResolver* resolver_ = nullptr;
  io::AresResolver::QueryId query_ = 0;
  DoneCallback done_;
  std::chrono::system_clock::time_point started_at_;
  std::uint64_t started_ns_ = 0;
};

}  // namespace prober::checks
