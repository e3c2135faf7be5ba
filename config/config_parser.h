#pragma once
// JSON text -> Config, or every error found (each with its JSON pointer). Pure: reads no file,
// resolves no secret, opens no socket.
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace prober::config {

std::variant<Config, std::vector<ConfigError>> parse_config(std::string_view text);

}  // namespace prober::config
