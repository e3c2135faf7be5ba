#pragma once
// Reads `sinks` and `spool` (DESIGN.md §6).
#include <vector>

#include "config/config.h"
#include "config/json_reader.h"

namespace prober::config {

void parse_sinks(JsonReader& sinks, Config& c, std::vector<ConfigError>& errors);
void parse_spool(JsonReader& spool, Config& c);

}  // namespace prober::config
