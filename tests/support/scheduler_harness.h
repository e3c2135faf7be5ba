#pragma once
// The scheduler on a fake clock, for its unit tests: a check completed by hand, an observer that
// records, and a scheduler wired to both (and to a hold-up watch on the same clock).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_time.h"
#include "scheduler/hold_up_watch.h"
#include "scheduler/scheduler.h"

namespace prober::testing {

using scheduler::MonitorSchedule;
using scheduler::Scheduler;
using scheduler::SchedulerObserver;

// A check the test completes by hand; it records starts, cancels and live runs. Its runs share
// that record, so a run outlives its check as the contract allows.
struct FakeCheck final : checks::Check {
  struct State {
    checks::DoneCallback done;
    int starts = 0;
    int cancels = 0;
    int live_runs = 0;
  };
  struct Run final : checks::CheckRun {
    std::shared_ptr<State> state;
    explicit Run(std::shared_ptr<State> s) : state(std::move(s)) { ++state->live_runs; }
    ~Run() override { --state->live_runs; }
    std::vector<checks::CheckResult> cancel() noexcept override {
      ++state->cancels;
      state->done = nullptr;
      checks::CheckResult r;
      r.failure = checks::classify_timeout(checks::Phase::kConnect);
      r.deadline_hit = true;
      return {r};
    }
  };
  std::shared_ptr<State> state = std::make_shared<State>();
  std::optional<checks::FailureClass> fail_at_start;  // report from inside start()
  std::unique_ptr<checks::CheckRun> start(checks::DoneCallback d) const override {
    ++state->starts;
    auto run = std::make_unique<Run>(state);
    state->done = std::move(d);
    if (fail_at_start) complete(*fail_at_start);
    return run;
  }
  void complete(checks::FailureClass c) const {
    checks::CheckResult r;
    r.failure.failure_class = c;
    if (c != checks::FailureClass::kOk) r.failure.severity = checks::Severity::kCritical;
    auto d = std::move(state->done);
    d({r});
  }
  int starts() const { return state->starts; }
  int cancels() const { return state->cancels; }
};

struct Observer final : SchedulerObserver {
  std::vector<Millis> lags;
  int skipped = 0, queued = 0;
  void on_lag(Millis lag) override { lags.push_back(lag); }
  void on_skipped(const std::string&) override { ++skipped; }
  void on_queued() override { ++queued; }
  void on_in_flight(std::size_t) override {}
  std::vector<std::string> result_errors;
  void on_result_error(const std::string& monitor, const std::string&) override { result_errors.push_back(monitor); }
};

struct Harness {
  FakeClock clock;
  FakeTimerFactory timers{clock};
  scheduler::HoldUpWatch hold_ups{clock, timers};
  Observer observer;
  std::map<std::string, std::vector<checks::CheckResult>> results;
  std::unique_ptr<Scheduler> scheduler;
  explicit Harness(std::size_t max_in_flight = 100, Millis start = Millis(1'000'000)) {
    clock.now_ = start;
    scheduler = std::make_unique<Scheduler>(
        clock, timers, "tokyo-1", max_in_flight,
        [this](const std::string& m, std::vector<checks::CheckResult> r) {
          for (auto& x : r) results[m].push_back(std::move(x));
        },
        &observer, &hold_ups);
  }
  FakeCheck* add(const std::string& name, MonitorSchedule s) {
    auto check = std::make_unique<FakeCheck>();
    FakeCheck* raw = check.get();
    scheduler->add(name, s, std::move(check));
    return raw;
  }
};

inline MonitorSchedule every(Millis interval, Millis timeout = Millis(5000), Millis retry = Millis(10000),
                             int attempts = 3) {
  return MonitorSchedule{interval, timeout, retry, attempts};
}

}  // namespace prober::testing
