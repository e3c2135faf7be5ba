#pragma once
// Everything a configuration file must survive before anything runs: read, parse, resolve its
// secrets, build every monitor's check. `prober validate` and the agent's (re)load share it.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checks/check.h"
#include "checks/check_env.h"
#include "config/config.h"

namespace prober::cli {

struct LoadedConfig {
  config::Config config;
  std::map<std::string, std::unique_ptr<checks::Check>> checks;  // by monitor name
};

std::optional<std::string> read_config_file(const std::string& path);
// The checks are built for `env`, which must outlive them.
std::variant<LoadedConfig, std::vector<config::ConfigError>> load_config_text(const std::string& text,
                                                                              checks::CheckEnv env);
std::variant<LoadedConfig, std::vector<config::ConfigError>> load_config_file(const std::string& path,
                                                                              checks::CheckEnv env);

}  // namespace prober::cli
