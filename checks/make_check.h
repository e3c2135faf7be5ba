#pragma once
// The one place a monitor's type becomes a Check (cloudprober's initProbe, blackbox's Probers).
#include <memory>
#include <string>
#include <variant>

#include "checks/check.h"
#include "checks/check_env.h"
#include "config/monitor_config.h"

namespace prober::checks {

// The check, or why the monitor cannot be checked (bad URL, bad pattern, ...). Its runs use
// `env`, which must outlive the check and every run it starts.
// The check shares `monitor` (the agent's configuration holds the same one).
std::variant<std::unique_ptr<Check>, std::string> make_check(CheckEnv env,
                                                             std::shared_ptr<const config::MonitorConfig> monitor);
// For a monitor made on the spot (prober check, /probe, a diagnosis): the check keeps a copy.
std::variant<std::unique_ptr<Check>, std::string> make_check(CheckEnv env, const config::MonitorConfig& monitor);

}  // namespace prober::checks
