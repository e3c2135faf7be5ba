#pragma once
// What the agent compares at a reload to tell an unchanged monitor (which keeps its schedule and
// state): a SHA-256 over the monitor's JSON, the defaults it inherited and its secret headers'
// values, its first 16 bytes (a 128-bit equality check) per monitor instead of the text.
#include <array>
#include <string_view>

namespace prober::config {

using DefinitionDigest = std::array<unsigned char, 16>;

DefinitionDigest digest_definition(std::string_view text);
// `digest` and `more` digested together (a secret header's value, read at every load).
DefinitionDigest extend_digest(const DefinitionDigest& digest, std::string_view more);

}  // namespace prober::config
