#pragma once
// tcp (connect) and tls (connect + handshake + certificate) checks: a curl transfer that stops
// once connected, so connect and handshake are timed and classified exactly like HTTP's.
#include <memory>
#include <string>
#include <variant>

#include "checks/target_check.h"

namespace prober::checks {

std::variant<std::unique_ptr<Check>, std::string> make_connect_check(
    CheckEnv env, std::shared_ptr<const config::MonitorConfig> monitor);

}  // namespace prober::checks
