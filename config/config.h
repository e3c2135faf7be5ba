#pragma once
// The whole agent configuration (shared/DESIGN.md §6) as plain data, and the errors that stop
// a configuration from loading.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/monitor_config.h"
#include "config/sinks_config.h"

namespace prober::config {

struct VantageConfig {
  std::string name;  // empty: the host name, filled in by the agent
  std::string region;
  std::map<std::string, std::string> labels;
  std::vector<std::string> control;  // monitors that test the vantage itself
  // Coordinated offsets across regions: this vantage is `index` of `count` (DESIGN.md §7).
  std::optional<int> index;
  std::optional<int> count;
};

struct ProbeEndpointConfig {
  bool enabled = true;
  std::vector<std::string> allowed_targets;  // RE2 patterns; empty allows every target
  int max_concurrent = 100;                  // /probe runs at once; more are answered 429
  bool deny_private_addresses = false;       // /probe never connects to a non-public address
};

struct EndpointConfig {  // sinks.prometheus: /metrics, /probe and the rest of the HTTP endpoint
  std::string listen = "127.0.0.1:9465";
  ProbeEndpointConfig probe;
  int max_connections = 256;                                          // more are closed at once
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(10)};   // request not complete, or kept alive idle
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};  // an answer the client does not read
};

struct JsonlConfig {
  std::string path = "-";  // "-" is standard output
};

// Follow-ups when a monitor turns hard-failing (docs/diagnostics.md): bounded in time, in
// number at once, and in how often one monitor is diagnosed.
struct DiagnosticsConfig {
  bool enabled = true;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};       // one diagnosis, all its follow-ups
  std::chrono::milliseconds min_interval{std::chrono::minutes(30)};  // per monitor
  int max_concurrent = 4;                                            // diagnoses at once; more are skipped
  int max_hops = 20;                                                 // the path probe's TTLs
};

struct Config {
  VantageConfig vantage;
  // Shared, not copied: each monitor's check holds the same MonitorConfig (a reload that keeps a
  // monitor keeps its check and schedule; the agent then points at the new, equal definition).
  std::vector<std::shared_ptr<MonitorConfig>> monitors;
  std::map<std::string, MonitorConfig> modules;  // /probe templates: a monitor without name and target
  std::optional<EndpointConfig> endpoint;
  JsonlConfig jsonl;
  std::optional<RemoteWriteConfig> remote_write;
  std::optional<AlertmanagerConfig> alertmanager;
  std::optional<MackerelConfig> mackerel;
  std::optional<WebhookConfig> webhook;
  std::optional<SpoolConfig> spool;  // set when configured, or when a push sink needs it
  int max_in_flight = 1000;
  DiagnosticsConfig diagnostics;
  std::string sinks_definition;  // vantage, sinks and spool as written: what a reload cannot change
  bool has_push_sink() const { return remote_write || mackerel || webhook; }
};

struct ConfigError {
  std::string pointer;  // JSON pointer of the offending value, "" for the document
  std::string message;
  bool operator==(const ConfigError&) const = default;
};

std::string to_string(const ConfigError& error);  // "/monitors/3/expect/status: ..."

}  // namespace prober::config
