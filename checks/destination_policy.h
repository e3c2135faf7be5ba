#pragma once
// Where a check may go. Monitors of the configuration go anywhere; a /probe run (a check a
// client of the endpoint asked for) is held to the endpoint's allow-list on its target and on
// every redirect hop, and, with deny_private_addresses, never connects to a loopback, private,
// link-local or otherwise non-public address (the SSRF defence of hosted probers).
#include <re2/re2.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checks/patterns.h"
#include "config/monitor_config.h"

namespace prober::checks {

class DestinationPolicy {
 public:
  // The policy of `monitor` (open, refusing nothing, unless it has allowed targets or denies
  // private addresses), or why a pattern does not compile.
  static std::variant<std::shared_ptr<const DestinationPolicy>, std::string> create(
      const config::MonitorConfig& monitor);

  // Why `url` may not be requested (a redirect hop), or nullopt.
  std::optional<std::string> refuse_url(const std::string& url) const;
  // Why `address` (an IP literal) may not be connected to, or nullopt.
  std::optional<std::string> refuse_address(const std::string& address) const;

 private:
  std::vector<Pattern> allowed_;
  bool deny_private_ = false;
};

// Loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified, multicast, reserved, and
// IPv4-mapped forms of these: everything that is not a public unicast address.
bool is_non_public_address(const std::string& address);

}  // namespace prober::checks
