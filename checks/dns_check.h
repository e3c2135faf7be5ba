#pragma once
// DNS check: one question to one server (or the system's), over UDP or TCP; the rcode and the
// answers are compared with the expectations.
#include <memory>
#include <string>
#include <variant>

#include "checks/check.h"
#include "checks/check_env.h"
#include "config/monitor_config.h"

namespace prober::checks {

std::variant<std::unique_ptr<Check>, std::string> make_dns_check(CheckEnv env,
                                                                 std::shared_ptr<const config::MonitorConfig> monitor);

}  // namespace prober::checks
