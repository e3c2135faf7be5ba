#include "prober/secrets.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

namespace prober::cli {
namespace {

// The value of a secret from its file (trailing newline dropped) or environment variable;
// nullopt with `error` set when it cannot be read.
std::optional<std::string> read_secret(const std::string& file, const std::string& env, std::string& error) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) {
      error = "cannot read secret file " + file;
      return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string value = text.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    return value;
  }
  const char* value = std::getenv(env.c_str());
  if (!value) {
    error = "environment variable " + env + " is not set";
    return std::nullopt;
  }
  return std::string(value);
}

void resolve(config::SecretSource& secret, const std::string& at, std::vector<config::ConfigError>& errors) {
  if (secret.empty()) return;
  std::string error;
  if (auto value = read_secret(secret.file, secret.env, error))
    secret.value = *value;
  else
    errors.push_back({at + (secret.file.empty() ? "_env" : "_file"), error});
}

// A monitor's (or module's) secret headers read into its headers; `at` is its JSON pointer.
void resolve_headers(config::MonitorConfig& m, const std::string& at, std::vector<config::ConfigError>& errors) {
  if (m.request->secret_headers.empty()) return;
  config::RequestOptions& request = m.request.edit();
  for (const auto& secret : request.secret_headers) {
    std::string error;
    if (auto value = read_secret(secret.file, secret.env, error)) {
      request.headers.emplace_back(secret.name, *value);
      // A rotated secret makes a changed monitor on reload (its check is rebuilt with the new
      // value); the definition's digest covers it.
      m.definition = config::extend_digest(m.definition, "\x1fsecret:" + secret.name + "=" + *value);
    } else {
      errors.push_back({at + "/headers/" + secret.name, error});
    }
  }
}

}  // namespace

// Read at every load: a reload (SIGHUP, POST /-/reload, a changed file) picks up rotated secret
// files, as Prometheus does with its *_file settings.
std::vector<config::ConfigError> resolve_secrets(config::Config& config) {
  std::vector<config::ConfigError> errors;
  for (std::size_t i = 0; i < config.monitors.size(); ++i) {
    resolve_headers(*config.monitors[i], "/monitors/" + std::to_string(i), errors);
  }
  for (auto& [name, module] : config.modules) resolve_headers(module, "/modules/" + name, errors);
  if (config.remote_write) resolve(config.remote_write->bearer_token, "/sinks/remote_write/bearer_token", errors);
  if (config.mackerel) resolve(config.mackerel->api_key, "/sinks/mackerel/api_key", errors);
  if (config.webhook) resolve(config.webhook->bearer_token, "/sinks/webhook/bearer_token", errors);
  return errors;
}

}  // namespace prober::cli
