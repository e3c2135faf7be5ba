#include "checks/patterns.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>

namespace prober::checks {
namespace {

struct Compiled {
  std::mutex lock;
  // Weak: a pattern no monitor uses any more is freed with its last holder; its entry is swept
  // once the table has doubled since the last sweep.
  std::unordered_map<std::string, std::weak_ptr<const re2::RE2>> by_text;
  std::size_t swept_at = 64;
  // The last patterns handed out, held here too: what only a short-lived holder used (a /probe
  // run's module patterns, held while it runs) is found compiled by the next one.
  std::array<Pattern, 256> recent;
  std::size_t next_recent = 0;
};

Compiled& compiled() {
  static Compiled c;
  return c;
}

}  // namespace

std::variant<Pattern, std::string> compile_pattern(const std::string& text) {
  Compiled& c = compiled();
  std::lock_guard<std::mutex> hold(c.lock);
  if (auto found = c.by_text.find(text); found != c.by_text.end()) {
    if (Pattern live = found->second.lock()) {
      c.recent[c.next_recent++ % c.recent.size()] = live;
      return live;
    }
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto regex = std::make_shared<const re2::RE2>(text, options);
  if (!regex->ok()) return regex->error();
  if (c.by_text.size() >= 2 * c.swept_at) {
    std::erase_if(c.by_text, [](const auto& entry) { return entry.second.expired(); });
    c.swept_at = std::max<std::size_t>(64, c.by_text.size());
  }
  c.by_text[text] = regex;
  c.recent[c.next_recent++ % c.recent.size()] = regex;
  return Pattern(std::move(regex));
}

}  // namespace prober::checks
