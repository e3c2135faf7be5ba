#pragma once
// Durations ("500ms", "10s", "2m", "1h") and sizes ("64KiB", "512MiB", "10MB").
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace prober::config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);
// A TCP/UDP port written in decimal, from `min` to 65535 (0 lets the kernel choose a listen
// port); nullopt for anything else, never a number wrapped into range.
std::optional<int> parse_port(std::string_view text, int min = 1);
// "24h", "90s", "1500ms": the largest whole unit that says it exactly.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace prober::config
