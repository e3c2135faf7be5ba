#include "prober/secrets.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace prober::cli {

std::vector<config::ConfigError> resolve_secrets(config::Config& config) {
  std::vector<config::ConfigError> errors;
  for (std::size_t i = 0; i < config.monitors.size(); ++i) {
    auto& m = config.monitors[i];
    for (const auto& secret : m.secret_headers) {
      std::string at = "/monitors/" + std::to_string(i) + "/headers/" + secret.name;
      std::string value;
      if (!secret.file.empty()) {
        std::ifstream in(secret.file);
        if (!in) {
          errors.push_back({at, "cannot read secret file " + secret.file});
          continue;
        }
        std::stringstream text;
        text << in.rdbuf();
        value = text.str();
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
      } else {
        const char* env = std::getenv(secret.env.c_str());
        if (!env) {
          errors.push_back({at, "environment variable " + secret.env + " is not set"});
          continue;
        }
        value = env;
      }
      m.headers.emplace_back(secret.name, value);
    }
  }
  return errors;
}

}  // namespace prober::cli
