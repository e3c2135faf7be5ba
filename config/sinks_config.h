#pragma once
// The push sinks (DESIGN.md §6, §10) and the spool that sits in front of them, as plain data.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prober::config {

// A credential read from a file or an environment variable at load; never inline in the file.
struct SecretSource {
  std::string file;
  std::string env;
  std::string value;  // resolved at load
  bool empty() const { return file.empty() && env.empty(); }
};

// How one sink batches and retries. Defaults follow Prometheus' remote write queue manager.
struct DeliveryConfig {
  std::chrono::milliseconds timeout{10000};        // one HTTP request
  std::chrono::milliseconds flush_interval{1000};  // how long a partial batch waits
  int batch_max = 500;                             // records per request
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds max_age{2 * 3600 * 1000};  // older batches are dropped, not retried
};

struct RemoteWriteConfig {
  std::string url;
  SecretSource bearer_token;
  std::chrono::milliseconds metrics_interval{15000};  // the vantage's own series (prober_*)
  DeliveryConfig delivery;
};

struct AlertmanagerConfig {
  std::vector<std::string> urls;  // every Alertmanager of a cluster, not a load balancer
  std::chrono::milliseconds resend_interval{60000};
  std::chrono::milliseconds resolved_resend{15 * 60 * 1000};
  std::chrono::milliseconds timeout{10000};
};

struct MackerelConfig {
  std::string url = "https://api.mackerelio.com";
  SecretSource api_key;
  std::string service;                       // service metrics go here; empty: check reports only
  std::string host_name;                     // the vantage's Mackerel host; empty: the vantage name
  std::optional<int> notification_interval;  // minutes; omitted: Mackerel never re-notifies
  DeliveryConfig reports;                    // check monitoring reports
  DeliveryConfig metrics;                    // service metrics (Mackerel asks for about one post a minute)
};

struct WebhookConfig {
  std::string url;
  SecretSource bearer_token;
  DeliveryConfig delivery;
};

struct SpoolConfig {
  std::string dir = "/var/lib/prober/spool";
  std::uint64_t max_bytes = 512ull << 20;
  std::uint64_t max_memory_bytes = 64ull << 20;  // writes waiting for the disk
};

}  // namespace prober::config
