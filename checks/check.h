#pragma once
// The one interface every check implements. A Check is a monitor's immutable, validated
// definition, built once per (re)load; start() makes a CheckRun that owns every mutable byte of
// that run (lookups, transfers, timings, partial facts) and dies with it. Nothing of one run can
// reach the next: run N+1 of a monitor is exactly as true as run 1.
#include <functional>
#include <memory>
#include <vector>

#include "checks/check_result.h"

namespace prober::checks {

// One result per probed address (ip_version "each" probes several).
using DoneCallback = std::function<void(std::vector<CheckResult>)>;

class CheckRun {
 public:
  virtual ~CheckRun() = default;  // aborts all I/O still in progress; `done` is never called after
  // Deadline or shutdown: abort all I/O and never call `done`. Returns a result for every probe,
  // the unfinished ones classified by the phase they were in (classify_timeout).
  virtual std::vector<CheckResult> cancel() noexcept = 0;
};

class Check {
 public:
  virtual ~Check() = default;
  // Starts one run. `done` is called exactly once unless the run is cancelled or destroyed
  // first: from the loop, or before start() returns when the run fails before any I/O (an
  // unusable resolver, an address literal of the wrong family). Callers never destroy a run from
  // inside its `done`. The run keeps what it needs of the definition alive itself, so a reload
  // may drop the Check while a cancelled run is still being torn down. No deadline is armed
  // here: the caller arms it.
  virtual std::unique_ptr<CheckRun> start(DoneCallback done) const = 0;
};

}  // namespace prober::checks
