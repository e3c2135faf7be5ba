#include "checks/destination_policy.h"

#include <arpa/inet.h>

#include <cstring>

namespace prober::checks {
namespace {

bool non_public_v4(const unsigned char* a) {
  return a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
         (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
         (a[0] == 100 && (a[1] & 0xc0) == 64) ||     // CGNAT 100.64/10
         (a[0] == 192 && a[1] == 0 && a[2] == 0) ||  // IETF protocol assignments
         (a[0] == 198 && (a[1] & 0xfe) == 18) ||     // benchmarking 198.18/15
         a[0] >= 224;                                // multicast, reserved, broadcast
}

}  // namespace

bool is_non_public_address(const std::string& address) {
  unsigned char v4[4];
  if (inet_pton(AF_INET, address.c_str(), v4) == 1) return non_public_v4(v4);
  unsigned char v6[16];
  if (inet_pton(AF_INET6, address.c_str(), v6) != 1) return true;  // not an address: refuse
  static const unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6, kMappedPrefix, 12) == 0) return non_public_v4(v6 + 12);
  static const unsigned char kZero[15] = {};
  if (std::memcmp(v6, kZero, 15) == 0) return true;                             // :: and ::1
  return (v6[0] & 0xfe) == 0xfc ||                                              // fc00::/7 unique local
         (v6[0] == 0xfe && (v6[1] & 0xc0) == 0x80) ||                           // fe80::/10 link-local
         (v6[0] == 0xfe && (v6[1] & 0xc0) == 0xc0) ||                           // fec0::/10 site-local (deprecated)
         v6[0] == 0xff ||                                                       // multicast
         (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8) ||  // documentation
         (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b &&   // NAT64 of a
          non_public_v4(v6 + 12));                                              // private v4
}

std::variant<std::shared_ptr<const DestinationPolicy>, std::string> DestinationPolicy::create(
    const config::MonitorConfig& monitor) {
  if (!monitor.deny_private_addresses && monitor.request->allowed_targets.empty()) {
    // Every configured monitor's policy: one shared instance, not one per monitor.
    static const auto open = std::make_shared<const DestinationPolicy>();
    return open;
  }
  auto policy = std::make_shared<DestinationPolicy>();
  policy->deny_private_ = monitor.deny_private_addresses;
  for (const auto& pattern : monitor.request->allowed_targets) {
    auto compiled = compile_pattern(pattern);
    if (auto* error = std::get_if<std::string>(&compiled)) return "allowed target pattern '" + pattern + "': " + *error;
    policy->allowed_.push_back(std::get<Pattern>(std::move(compiled)));
  }
  return std::shared_ptr<const DestinationPolicy>(std::move(policy));
}

std::optional<std::string> DestinationPolicy::refuse_url(const std::string& url) const {
  if (allowed_.empty()) return std::nullopt;
  for (const auto& pattern : allowed_) {
    if (re2::RE2::FullMatch(url, *pattern)) return std::nullopt;
  }
  return url + " is not an allowed target (sinks.prometheus.probe.allowed_targets)";
}

std::optional<std::string> DestinationPolicy::refuse_address(const std::string& address) const {
  if (!deny_private_ || !is_non_public_address(address)) return std::nullopt;
  return address + " is not a public address (sinks.prometheus.probe.deny_private_addresses)";
}

}  // namespace prober::checks
