#pragma once
// CheckResult as the JSON object of shared/DESIGN.md §5 (JSONL line, webhook item, --json).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "checks/check_result.h"

namespace prober::checks {

nlohmann::json to_json(const CheckResult& result);
nlohmann::json to_json(const CertInfo& cert);
// [{"kind", "summary", "details"}]: in a result, and on its own when a diagnosis finishes after
// its result was reported (the agent's /results and alert updates).
nlohmann::json diagnostics_json(const std::vector<Diagnostic>& diagnostics);
// "2026-11-25T10:00:00Z", or with milliseconds "2026-11-25T10:00:00.123Z" when millis >= 0.
std::string iso8601(std::int64_t unix_seconds, int millis = -1);
// JSON text that never throws on invalid UTF-8: text from the network (headers, certificate
// names, DNS names, error strings) may be any bytes; they become U+FFFD.
std::string json_text(const nlohmann::json& value, int indent = -1);

}  // namespace prober::checks
