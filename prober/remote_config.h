#pragma once
// `--config https://…` (DESIGN.md §6): the configuration fetched from a URL, polled with
// If-None-Match so an unchanged file costs a 304, and the last configuration that loaded
// cached on disk, so a vantage still starts when the URL is unreachable. The URL and ETag are
// kept beside the cache; a cache from another URL is never used.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "net/http_client.h"

namespace prober::cli {

struct RemoteConfigOptions {
  std::string url;
  std::string cache_path = "/var/lib/prober/config-cache.json";
  std::chrono::milliseconds poll_interval{30000};
  std::string ca_file;  // empty: the system's CA certificates
  std::chrono::milliseconds timeout{10000};
};

bool is_config_url(const std::string& path);

class RemoteConfig {
 public:
  struct Fetched {
    std::string text;
    std::string etag;
    std::string origin;  // "https://…" or "cache (URL unreachable: …)"
  };

  explicit RemoteConfig(RemoteConfigOptions options) : options_(std::move(options)) {}

  // At start, blocking: the URL's current text, else the cached one, else an error text.
  std::variant<Fetched, std::string> fetch_now();
  // On the loop: asks with If-None-Match; `changed` gets a new text (not for a 304); `failed`
  // an error text (the service unreachable, a non-2xx answer).
  void poll(net::HttpClient& http, std::function<void(Fetched)> changed, std::function<void(std::string)> failed);
  // Remembers `fetched` as the last good configuration (after it loaded); false if the cache
  // cannot be written (logged by the caller).
  bool save_good(const Fetched& fetched, std::string& error);
  const RemoteConfigOptions& options() const { return options_; }

 private:
  std::optional<Fetched> cached() const;

  RemoteConfigOptions options_;
  std::string etag_;  // of the text in use
};

}  // namespace prober::cli
