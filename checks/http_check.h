#pragma once
// HTTP(S) check: one request chain per address, redirects followed hop by hop by us (so every
// hop is pinned to an address we resolved and timed on its own), then the validators.
#include <memory>
#include <string>
#include <variant>

#include "checks/target_check.h"
#include "checks/validators.h"

namespace prober::checks {

class HttpCheck final : public TargetCheck {
 public:
  static std::variant<std::unique_ptr<Check>, std::string> create(const config::MonitorConfig& monitor);
  HttpCheck(config::MonitorConfig monitor, ParsedUrl target, CompiledHttpExpect expect);

 protected:
  std::unique_ptr<Probe> make_probe(CheckResult base, Finish finish) override;

 private:
  CompiledHttpExpect expect_;
};

}  // namespace prober::checks
