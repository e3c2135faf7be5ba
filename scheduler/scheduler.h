#pragma once
// Runs every monitor at offset + k·interval (after a non-ok result, min(retry_interval, interval)
// later until max_check_attempts is reached), never two runs of one monitor at once (the later is skipped
// and counted), at most max_in_flight at once (the rest queue, counted), each run under a
// deadline armed here: at the deadline the check is cancelled and timed out by phase — unless the
// deadline came late because the agent itself was held up, then the run first gets that time back.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/check.h"
#include "scheduler/clock.h"
#include "scheduler/hold_up_watch.h"

namespace prober::scheduler {

struct MonitorSchedule {
  Millis interval{60000};
  Millis timeout{10000};
  Millis retry_interval{10000};
  int max_check_attempts = 3;
  std::optional<Millis> offset;  // set: this phase (coordinated regions); else a hash of (monitor, vantage)
};

// What the scheduler reports besides results: for metrics, never for control.
class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  virtual void on_lag(Millis lag) = 0;                     // run started this late
  virtual void on_skipped(const std::string& reason) = 0;  // "overlap"
  virtual void on_queued() = 0;                            // waited for a free in-flight slot
  virtual void on_in_flight(std::size_t n) = 0;
  // Handing a monitor's results on threw; the scheduler's own bookkeeping went on regardless.
  virtual void on_result_error(const std::string& monitor, const std::string& what) = 0;
};

class Scheduler {
 public:
  using ResultSink = std::function<void(const std::string& monitor, std::vector<checks::CheckResult>)>;

  // `hold_ups`: watched while runs are in flight, so a run's result says when the agent itself
  // was held up during it (null: only a late deadline tells).
  Scheduler(Clock& clock, TimerFactory& timers, std::string vantage, std::size_t max_in_flight, ResultSink sink,
            SchedulerObserver* observer = nullptr, HoldUpWatch* hold_ups = nullptr);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  ~Scheduler();

  // Adds (or replaces) a monitor; its first run is at its next slot.
  void add(const std::string& name, MonitorSchedule schedule, std::unique_ptr<const checks::Check> check);
  // Removes a monitor; a run in flight is cancelled and reports nothing.
  void remove(const std::string& name);
  // Stops starting runs; `drained` is called once no run is in flight (maybe at once).
  void drain(std::function<void()> drained);
  std::size_t in_flight() const { return in_flight_; }
  // A new limit (a reload): a higher one starts queued runs at once; a lower one lets the runs in
  // flight finish and starts no more until under it.
  void set_max_in_flight(std::size_t max_in_flight);
  std::size_t max_in_flight() const { return max_in_flight_; }
  // When the monitor's next run is due (for tests and /results).
  Millis next_due(const std::string& name) const;

 private:
  struct Entry;
  void on_due(Entry& e);
  void start(Entry& e);
  void on_deadline(Entry& e);
  void on_done(Entry& e, std::uint32_t generation, std::vector<checks::CheckResult> results, bool timed_out);
  void arm_next(Entry& e, bool failed);
  void start_queued();
  // A run ends inside its own callbacks: it is destroyed from the loop just after, never there.
  void retire(std::unique_ptr<checks::CheckRun> run);
  void in_flight_changed();  // tells the observer, and watches hold-ups while any run is in flight
  Millis held_up() const { return hold_ups_ ? hold_ups_->held_up() : Millis(0); }

  Clock& clock_;
  TimerFactory& timers_;
  std::string vantage_;
  std::size_t max_in_flight_;
  ResultSink sink_;
  SchedulerObserver* observer_;
  HoldUpWatch* hold_ups_;
  HoldUpWatch::Watching watching_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::deque<std::string> queue_;
  std::size_t in_flight_ = 0;
  bool draining_ = false;
  std::function<void()> drained_;
  std::vector<std::unique_ptr<checks::CheckRun>> retired_;
  std::unique_ptr<Timer> reaper_;
};

}  // namespace prober::scheduler
