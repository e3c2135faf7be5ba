#pragma once
// Durations ("500ms", "10s", "2m", "1h") and sizes ("64KiB", "512MiB", "10MB").
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace prober::config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace prober::config
