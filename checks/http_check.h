#pragma once
// HTTP(S) check: one request chain per address, redirects followed hop by hop by us (so every
// hop is pinned to an address we resolved and timed on its own), then the validators.
#include <memory>
#include <string>
#include <variant>

#include "checks/target_check.h"

namespace prober::checks {

std::variant<std::unique_ptr<Check>, std::string> make_http_check(CheckEnv env,
                                                                  std::shared_ptr<const config::MonitorConfig> monitor);

}  // namespace prober::checks
