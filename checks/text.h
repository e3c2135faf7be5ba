#pragma once
// Text helpers: ASCII case-insensitive comparisons (HTTP header names), and making bytes from
// the network safe to print or send.
#include <string>
#include <string_view>

namespace prober::checks {

bool iequals(std::string_view a, std::string_view b);
bool icontains(std::string_view haystack, std::string_view needle);
// `bytes` with every invalid UTF-8 sequence (overlong, surrogate, past U+10FFFF, cut short)
// replaced by U+FFFD, as the JSON writer does: label values and protobuf strings must be UTF-8.
std::string valid_utf8(std::string_view bytes);
// Whether valid_utf8 would return `bytes` unchanged (then no copy is needed).
bool is_valid_utf8(std::string_view bytes);
// For a terminal: valid UTF-8 with control characters (escape sequences included) shown as '?'.
std::string printable(std::string_view bytes);

}  // namespace prober::checks
