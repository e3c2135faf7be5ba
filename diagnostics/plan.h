#pragma once
// Which follow-ups a failure calls for: the DNS servers for a DNS failure, the path for a
// connect failure, the ClientHello shapes for a handshake failure, a browser's retry for an
// HTTP answer. On demand (`prober check --diagnose`) every follow-up the monitor allows runs.
#include <optional>
#include <string>

#include "checks/check_result.h"
#include "config/monitor_config.h"

namespace prober::diagnostics {

struct Plan {
  std::optional<std::string> dns_name;  // ask the authoritative servers about this name
  int dns_type = 1;                     // the record type the check asked
  bool path = false;                    // trace the path to the result's address and port
  bool tls = false;                     // retry the handshake with other ClientHellos
  bool http = false;                    // retry the request with a browser's headers
  std::string server_name;              // SNI for the TLS retries
  bool empty() const { return !dns_name && !path && !tls && !http; }
};

// `everything`: on demand, not only what fits the failure.
Plan plan_for(const config::MonitorConfig& monitor, const checks::CheckResult& result, bool everything);

}  // namespace prober::diagnostics
