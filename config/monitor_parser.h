#pragma once
// One monitor (or a /probe module) from its JSON object.
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/json_reader.h"

namespace prober::config {

struct MonitorDefaults {
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds retry_interval{10000};
  int max_check_attempts = 3;
  int recovery_attempts = 1;
  IpVersion ip_version = IpVersion::kAny;
};

MonitorDefaults parse_defaults(JsonReader& reader);
// Whether `name` can be a TLS group's name (letters, digits, '-', '_'); whether OpenSSL knows it
// is asked when the check is made (checks::tls_groups_error).
bool is_tls_group_name(std::string_view name);
// The names of a TlsOptions::groups list ("X25519:P-256"), empty ones included.
std::vector<std::string_view> tls_group_names(std::string_view list);
// `is_module`: a /probe template, which has neither name nor target.
MonitorConfig parse_monitor(JsonReader& reader, const MonitorDefaults& defaults, bool is_module);

}  // namespace prober::config
