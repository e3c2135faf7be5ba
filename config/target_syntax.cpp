#include "config/target_syntax.h"

#include <re2/re2.h>

#include <cstdlib>
#include <string_view>

#include "config/units.h"

namespace prober::config {

// Only the shape: scheme, a host, an optional port. curl's parser has the last word at load.
std::optional<std::string> url_problem(const std::string& url) {
  static const re2::RE2 shape(R"(https?://(\[[0-9A-Fa-f:.]+\]|[^/:?#\[\]@\s]+)(:([0-9]+))?([/?#]\S*)?)");
  std::string host, port_part, port;
  if (!re2::RE2::FullMatch(url, shape, &host, &port_part, &port)) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return "expected an http:// or https:// URL";
    return "not a valid URL";
  }
  if (!port_part.empty()) {
    long p = std::strtol(port.c_str(), nullptr, 10);
    if (p < 1 || p > 65535) return "port must be 1 to 65535";
  }
  return std::nullopt;
}

std::optional<std::string> host_port_problem(const std::string& target) {
  auto colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0) return "expected host:port";
  std::string_view port = std::string_view(target).substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
    return "expected host:port";
  }
  if (!parse_port(port, 1)) return "port must be 1 to 65535";
  return std::nullopt;
}

}  // namespace prober::config
