#pragma once
// What makes an HTTP check's probes: one per distinct expectation block, held beside its compiled
// form (compiled_expects.h), so the many monitors with equal expectations share one.
#include <memory>

#include "checks/target_check.h"
#include "checks/validators.h"

namespace prober::checks {

class HttpProbes final : public ProbeFactory {
 public:
  // `expect` outlives this factory (they are held together), and a run holds the factory.
  explicit HttpProbes(const CompiledHttpExpect& expect) : expect_(expect) {}
  std::unique_ptr<Probe> make(const CheckEnv& env, const std::shared_ptr<const TargetSpec>& spec, CheckResult base,
                              std::chrono::milliseconds held_at_start, Probe::Finish finish) const override;
  const CompiledHttpExpect& expect() const noexcept { return expect_; }

 private:
  const CompiledHttpExpect& expect_;
};

}  // namespace prober::checks
