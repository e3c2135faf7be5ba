#pragma once
// One monitor (or a /probe module) from its JSON object.
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
// `is_module`: a /probe template, which has neither name nor target.
MonitorConfig parse_monitor(JsonReader& reader, const MonitorDefaults& defaults, bool is_module);

}  // namespace prober::config
