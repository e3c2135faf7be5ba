#include "config/units.h"

#include <cmath>

#include <charconv>
#include <limits>

namespace prober::config {
namespace {

struct NumberAndUnit {
  double number;
  std::string_view unit;
};

std::optional<NumberAndUnit> split(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double number = 0;
  // NOLINTNEXTLINE(bugprone-suspicious-stringview-data-usage): from_chars is given the end too
  auto [end, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc{} || end != text.data() + i || number < 0) return std::nullopt;
  return NumberAndUnit{number, text.substr(i)};
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto parts = split(text);
  if (!parts) return std::nullopt;
  double factor = 0;
  if (parts->unit == "ms")
    factor = 1;
  else if (parts->unit == "s")
    factor = 1e3;
  else if (parts->unit == "m")
    factor = 60e3;
  else if (parts->unit == "h")
    factor = 3600e3;
  else
    return std::nullopt;
  double ms = parts->number * factor;
  if (ms > 1e12) return std::nullopt;
  return std::chrono::milliseconds(std::llround(ms));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  auto parts = split(text);
  if (!parts) return std::nullopt;
  double factor = 0;
  if (parts->unit == "" || parts->unit == "B")
    factor = 1;
  else if (parts->unit == "KiB")
    factor = 1024.0;
  else if (parts->unit == "MiB")
    factor = 1024.0 * 1024;
  else if (parts->unit == "GiB")
    factor = 1024.0 * 1024 * 1024;
  else if (parts->unit == "KB" || parts->unit == "kB")
    factor = 1e3;
  else if (parts->unit == "MB")
    factor = 1e6;
  else if (parts->unit == "GB")
    factor = 1e9;
  else
    return std::nullopt;
  double bytes = parts->number * factor;
  if (bytes > static_cast<double>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<int> parse_port(std::string_view text, int min) {
  int port = 0;
  if (text.empty() || text.size() > 5) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port < min || port > 65535) return std::nullopt;
  return port;
}

}  // namespace prober::config
