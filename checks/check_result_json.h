#pragma once
// CheckResult as the JSON object of shared/DESIGN.md §5 (JSONL line, webhook item, --json),
// written straight into text (json_writer.h): the agent writes one per result.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "checks/check_result.h"
#include "checks/json_writer.h"

namespace prober::checks {

// What the agent adds to every line: who ran the check, and the line's place in its sequence.
struct ResultLineContext {
  const std::string& vantage;
  const std::string& region;
  std::uint64_t seq;
};

// One line of JSON, no newline; keys in nlohmann's (sorted) order.
std::string result_line(const CheckResult& result, const ResultLineContext* context = nullptr);
// [{"details", "kind", "summary"}]: in a result, and on its own when a diagnosis finishes after
// its result was reported (the agent's /results and alert updates).
void write_diagnostics(JsonWriter& out, const std::vector<Diagnostic>& diagnostics);
// "2026-11-25T10:00:00Z", or with milliseconds "2026-11-25T10:00:00.123Z" when millis >= 0.
std::string iso8601(std::int64_t unix_seconds, int millis = -1);
// JSON text that never throws on invalid UTF-8: text from the network (headers, certificate
// names, DNS names, error strings) may be any bytes; they become U+FFFD.
std::string json_text(const nlohmann::json& value, int indent = -1);

}  // namespace prober::checks
