// The configuration parser (every key, secrets references, modules, sinks) and the duration,
// size and port parsers on any text: an error list or a Config, never a crash or a throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_parser.h"
#include "config/units.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = prober::config::parse_config(text);
  if (auto* errors = std::get_if<std::vector<prober::config::ConfigError>>(&parsed)) {
    if (errors->empty()) __builtin_trap();  // a rejection always says why
    for (const auto& e : *errors) (void)prober::config::to_string(e);
  }
  if (size < 64) {
    if (auto d = prober::config::parse_duration(text)) (void)prober::config::format_duration(*d);
    (void)prober::config::parse_size(text);
    if (auto p = prober::config::parse_port(text, 0); p && (*p < 0 || *p > 65535)) __builtin_trap();
  }
  return 0;
}
