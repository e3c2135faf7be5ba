#include "checks/compiled_expects.h"

#include "checks/http_probes.h"

namespace prober::checks {

struct CompiledExpects::Owned {
  Owned(std::shared_ptr<const config::HttpExpect> from, CompiledHttpExpect made)
      : block(std::move(from)), compiled(std::move(made)), probes(compiled) {}
  Owned(const Owned&) = delete;  // `probes` refers to this object's own `compiled`
  Owned& operator=(const Owned&) = delete;

  std::shared_ptr<const config::HttpExpect> block;
  CompiledHttpExpect compiled;
  HttpProbes probes;
};

std::variant<CompiledExpects::Compiled, std::string> CompiledExpects::get(
    std::shared_ptr<const config::HttpExpect> block) {
  auto& entry = entries_[block.get()];
  if (auto found = entry.lock()) return found;
  auto made = compile_http_expect(*block);
  if (auto* error = std::get_if<std::string>(&made)) {
    entries_.erase(block.get());
    return *error;
  }
  auto owned = std::make_shared<const Owned>(std::move(block), std::get<CompiledHttpExpect>(std::move(made)));
  Compiled compiled(owned, &owned->probes);  // shares the ownership of all three
  entry = compiled;
  // Reloads leave expired entries behind: swept whenever their number has doubled.
  if (entries_.size() > 2 * swept_at_ + 16) {
    std::erase_if(entries_, [](const auto& e) { return e.second.expired(); });
    swept_at_ = entries_.size();
  }
  return compiled;
}

}  // namespace prober::checks
