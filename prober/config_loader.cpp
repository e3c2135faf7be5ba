#include "prober/config_loader.h"

#include <fstream>
#include <sstream>

#include "checks/make_check.h"
#include "checks/tls_contexts.h"
#include "config/config_parser.h"
#include "prober/secrets.h"

namespace prober::cli {

std::optional<std::string> read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::variant<LoadedConfig, std::vector<config::ConfigError>> load_config_file(const std::string& path,
                                                                              checks::CheckEnv env) {
  auto text = read_config_file(path);
  if (!text) return std::vector<config::ConfigError>{{"", "cannot read " + path}};
  return load_config_text(*text, env);
}

std::variant<LoadedConfig, std::vector<config::ConfigError>> load_config_text(const std::string& text,
                                                                              checks::CheckEnv env) {
  auto parsed = config::parse_config(text);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&parsed)) return *errors;
  LoadedConfig loaded{std::get<config::Config>(std::move(parsed)), {}};
  std::vector<config::ConfigError> errors = resolve_secrets(loaded.config);
  for (std::size_t i = 0; i < loaded.config.monitors.size(); ++i) {
    auto check = checks::make_check(env, loaded.config.monitors[i]);
    if (auto* error = std::get_if<std::string>(&check)) {
      errors.push_back({"/monitors/" + std::to_string(i), *error});
    } else {
      loaded.checks[loaded.config.monitors[i]->name] = std::move(std::get<std::unique_ptr<checks::Check>>(check));
    }
  }
  // A module's check is made by its first /probe: what would refuse it is asked now.
  for (const auto& [name, module] : loaded.config.modules) {
    const auto& groups = module.tls->groups;
    if (!groups) continue;
    if (auto error = checks::tls_groups_error(*groups)) {
      errors.push_back({"/modules/" + name + "/tls/groups", *error});
    }
  }
  if (!errors.empty()) return errors;
  return loaded;
}

}  // namespace prober::cli
