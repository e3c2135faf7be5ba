#pragma once
// The one table per configuration enum: its spelling in the config, on the command line, in
// JSON results and in metrics labels.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/monitor_config.h"

namespace prober::config {

std::string_view to_string(CheckType type);
std::optional<CheckType> check_type_from(std::string_view text);
std::vector<std::string_view> check_type_names();

std::string_view to_string(IpVersion version);
std::optional<IpVersion> ip_version_from(std::string_view text);
std::vector<std::string_view> ip_version_names();

// expect.downgrade's values, and the items expect.tls_hygiene_ignore may name.
const std::vector<std::string_view>& downgrade_policies();
const std::vector<std::string_view>& tls_hygiene_items();
bool is_one_of(std::string_view value, const std::vector<std::string_view>& allowed);
// "a, b or c", for error messages.
std::string one_of_text(const std::vector<std::string_view>& allowed);

}  // namespace prober::config
