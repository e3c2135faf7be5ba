#pragma once
// tcp (connect) and tls (connect + handshake + certificate) checks: a curl transfer that stops
// once connected, so connect and handshake are timed and classified exactly like HTTP's.
#include <memory>
#include <string>
#include <variant>

#include "checks/target_check.h"

namespace prober::checks {

class ConnectCheck final : public TargetCheck {
 public:
  static std::variant<std::unique_ptr<Check>, std::string> create(const config::MonitorConfig& monitor);
  ConnectCheck(config::MonitorConfig monitor, ParsedUrl target);

 protected:
  std::unique_ptr<Probe> make_probe(CheckResult base, Finish finish) override;
};

}  // namespace prober::checks
