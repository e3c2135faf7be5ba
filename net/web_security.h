#pragma once
// What the web configuration file (--web.config.file) asks of the endpoint, as one immutable
// snapshot: TLS context, basic auth users, extra headers, rate limit. WebConfigFile re-reads the
// file, and the certificate, key and CA files it names, when any of them changed (checked at
// each new connection and request: certificates rotate without a restart). As the
// exporter-toolkit does, a file that became invalid fails closed: requests get 500 and TLS
// connections are refused until it is fixed; the error is reported once per change.
#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "net/tls_server.h"

namespace prober::net {

struct EndpointSecurity {
  std::shared_ptr<const net::TlsServerContext> tls;  // null: plain HTTP
  std::map<std::string, std::string> users;          // empty: no authentication
  std::vector<std::pair<std::string, std::string>> headers;
  int rate_limit_burst = 0;
  std::chrono::milliseconds rate_limit_interval{0};  // 0: no rate limit
  std::string error;                                 // set: the file is unusable now
  bool refuse_connections = false;                   // with error: the endpoint speaks TLS, so nothing is served
};

class WebConfigFile {
 public:
  // Reads and checks the file now: an error here is a start-up error.
  static std::variant<std::unique_ptr<WebConfigFile>, std::string> open(
      const std::string& path, std::function<void(const std::string&)> on_error);
  std::shared_ptr<const EndpointSecurity> current();
  bool tls() const { return current_ && current_->tls; }

 private:
  struct FileState {
    std::string path;
    ::dev_t device = 0;
    ::ino_t inode = 0;
    std::int64_t size = -1, mtime_ns = -1;
    bool operator==(const FileState&) const = default;
  };
  std::vector<FileState> states() const;
  std::variant<std::shared_ptr<const EndpointSecurity>, std::string> load();

  std::string path_;
  std::function<void(const std::string&)> on_error_;
  std::vector<std::string> named_files_;  // certificate, key and CA files of the last read
  std::vector<FileState> seen_;
  std::shared_ptr<const EndpointSecurity> current_;
  bool tls_at_start_ = false;
};

}  // namespace prober::net
