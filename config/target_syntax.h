#pragma once
// The shape of a monitor's target, checked when the configuration loads: a URL for http
// monitors, host:port for tls and tcp ones. Why it is wrong, or nullopt.
#include <optional>
#include <string>

namespace prober::config {

std::optional<std::string> url_problem(const std::string& url);
std::optional<std::string> host_port_problem(const std::string& target);

}  // namespace prober::config
