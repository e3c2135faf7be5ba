#pragma once
// ASCII case-insensitive comparisons, as HTTP header names need.
#include <string_view>

namespace prober::checks {

bool iequals(std::string_view a, std::string_view b);
bool icontains(std::string_view haystack, std::string_view needle);

}  // namespace prober::checks
