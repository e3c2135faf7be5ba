#pragma once
// The one interface every check implements (Envoy's session contract, blackbox's signature).
#include <functional>
#include <memory>
#include <vector>

#include "checks/check_result.h"
#include "io/ares_resolver.h"
#include "io/curl_multi_driver.h"

namespace prober::checks {

struct RunContext {
  io::CurlMultiDriver& curl;
  io::ResolverPool& resolvers;
};

// One result per probed address (ip_version "each" probes several).
using DoneCallback = std::function<void(std::vector<CheckResult>)>;

class Check {
 public:
  virtual ~Check() = default;
  // Starts one run. `done` is called exactly once unless cancel() comes first: from the loop,
  // or from inside start() when the run fails before any I/O (an unusable resolver, an address
  // literal of the wrong family), so callers mark the run as started before calling. The check
  // arms no deadline of its own: the caller does.
  virtual void start(RunContext& ctx, DoneCallback done) = 0;
  // Deadline or shutdown: abort all I/O and never call `done` for this run. Returns a result for
  // every probe, the unfinished ones classified by the phase they were in (classify_timeout).
  virtual std::vector<CheckResult> cancel() noexcept = 0;
};

}  // namespace prober::checks
