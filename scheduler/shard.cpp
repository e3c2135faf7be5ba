#include "scheduler/shard.h"

#include <cctype>
#include <charconv>

#include "scheduler/offsets.h"

namespace prober::scheduler {

int rendezvous_shard(std::string_view monitor, int count) {
  int best = 0;
  std::uint64_t best_score = 0;
  for (int i = 0; i < count; ++i) {
    // The shard number as text keeps the hash stable across platforms and versions.
    std::uint64_t score = stable_hash(monitor, std::to_string(i));
    // FNV-1a's last bytes mix weakly: finish with a 64-bit avalanche (splitmix64's).
    score ^= score >> 30;
    score *= 0xbf58476d1ce4e5b9ull;
    score ^= score >> 27;
    score *= 0x94d049bb133111ebull;
    score ^= score >> 31;
    if (i == 0 || score > best_score) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

std::optional<Shard> parse_shard(const std::string& text, std::string& error) {
  auto slash = text.rfind('/');
  auto number = [](std::string_view s, int& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  };
  Shard s;
  if (slash == std::string::npos || !number(std::string_view(text).substr(slash + 1), s.count) || s.count < 1) {
    error = "expected i/n with 0 <= i < n (or POD-NAME-i/n), got \"" + text + "\"";
    return std::nullopt;
  }
  std::string_view index = std::string_view(text).substr(0, slash);
  if (auto dash = index.rfind('-'); dash != std::string_view::npos && !number(index, s.index)) {
    index = index.substr(dash + 1);  // a StatefulSet pod name: its ordinal
  }
  if (!number(index, s.index) || s.index < 0 || s.index >= s.count) {
    error = "expected i/n with 0 <= i < n (or POD-NAME-i/n), got \"" + text + "\"";
    return std::nullopt;
  }
  return s;
}

}  // namespace prober::scheduler
