#pragma once
// The compiled form (RE2 patterns) of each distinct HTTP expectation block, and the factory of
// probes judged by it, shared by every check whose monitor holds that block. Monitors share equal
// blocks (config/shared_block.h), so a hundred thousand monitors with the same expectations hold
// one compiled copy and one factory, not one each.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <variant>

#include "config/monitor_config.h"

namespace prober::checks {

class HttpProbes;  // http_probes.h

class CompiledExpects {
 public:
  using Compiled = std::shared_ptr<const HttpProbes>;
  // The factory for `block` (its compiled form: expect()), or the message of the first pattern
  // RE2 rejects. The result keeps the block alive (the compiled form's `config` points into it).
  std::variant<Compiled, std::string> get(std::shared_ptr<const config::HttpExpect> block);
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Owned;  // a CompiledHttpExpect with the block it was compiled from and its factory
  // By the block's address: a block lives as long as a compiled copy of it, so while an entry
  // has not expired no other block can have its address.
  std::map<const config::HttpExpect*, std::weak_ptr<const HttpProbes>> entries_;
  std::size_t swept_at_ = 0;  // entries_ after the last sweep of expired ones
};

}  // namespace prober::checks
