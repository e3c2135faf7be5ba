#pragma once
// Resolves header values that come from files or environment variables. The only I/O done on a
// configuration besides reading it; errors name the monitor and header, never the value.
#include <optional>
#include <vector>

#include "config/config.h"

namespace prober::cli {

std::vector<config::ConfigError> resolve_secrets(config::Config& config);

}  // namespace prober::cli
