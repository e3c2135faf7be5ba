#include "scheduler/scheduler.h"

#include <algorithm>
#include <cstdint>

#include "scheduler/offsets.h"
#include "scheduler/run_results.h"

namespace prober::scheduler {

namespace {

// Spans an entry keeps for every monitor: 32 bits (24 days; a configured duration is at most 24
// hours) where 64 would put the entry in a larger allocation class.
using Span = std::chrono::duration<std::int32_t, std::milli>;
Span span(Millis m) { return Span(static_cast<std::int32_t>(std::clamp<Millis::rep>(m.count(), 0, INT32_MAX))); }

}  // namespace

// Kept for every monitor while it is configured (~96 bytes: 200 000 monitors are 200 000 of these).
struct Scheduler::Entry {
  const std::string* name = nullptr;  // the key of entries_, which never moves
  std::unique_ptr<const checks::Check> check;
  std::unique_ptr<checks::CheckRun> run;  // the run in flight, or the last one until retired
  // One timer per monitor: the next slot while idle or queued, the run's deadline while it runs
  // (a timeout is shorter than the interval, so no slot comes due during a run that it must see).
  std::unique_ptr<Timer> timer;
  Millis due_at{0};
  Millis started_at{0};
  HeldUpDeadline hold_up;  // the running run's
  struct {
    Span interval;
    Span timeout;
    Span retry_interval;
    int max_check_attempts;
  } schedule{};    // MonitorSchedule's, but its offset (below)
  Span offset{0};  // within the interval
  int consecutive_failures = 0;
  std::uint32_t generation = 0;  // drops completions of a run that was already given up
  bool running = false;
  bool queued = false;
};

Scheduler::Scheduler(Clock& clock, TimerFactory& timers, std::string vantage, std::size_t max_in_flight,
                     ResultSink sink, SchedulerObserver* observer, HoldUpWatch* hold_ups)
    : clock_(clock),
      timers_(timers),
      vantage_(std::move(vantage)),
      max_in_flight_(std::max<std::size_t>(1, max_in_flight)),
      sink_(std::move(sink)),
      observer_(observer),
      hold_ups_(hold_ups) {
  reaper_ = timers_.create([this] { retired_.clear(); });
}

Scheduler::~Scheduler() {
  // Runs first (their destructors stop their I/O), then the checks they were started from.
  for (auto& [name, e] : entries_) e->run.reset();
  retired_.clear();
}

void Scheduler::retire(std::unique_ptr<checks::CheckRun> run) {
  if (!run) return;
  retired_.push_back(std::move(run));
  reaper_->enable(Millis(0));
}

void Scheduler::add(const std::string& name, MonitorSchedule schedule, std::unique_ptr<const checks::Check> check) {
  remove(name);
  static_assert(sizeof(Entry) <= 96, "an entry per monitor: keep it in the 96-byte allocation class");
  auto e = std::make_unique<Entry>();
  Entry* raw = e.get();
  e->schedule = {span(schedule.interval), span(schedule.timeout), span(schedule.retry_interval),
                 schedule.max_check_attempts};
  e->check = std::move(check);
  Millis interval = e->schedule.interval;
  e->offset = span(schedule.offset ? Millis(schedule.offset->count() % std::max<Millis::rep>(1, interval.count()))
                                   : offset_for(name, vantage_, interval));
  e->timer = timers_.create([this, raw] {
    if (!raw->running) {
      on_due(*raw);
    } else if (raw->run) {
      on_deadline(*raw);
    }
  });
  auto [it, added] = entries_.emplace(name, std::move(e));
  raw->name = &it->first;
  arm_next(*raw, false);
}

void Scheduler::remove(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  Entry& e = *it->second;
  if (e.running) {
    e.run->cancel();
    --in_flight_;
  }
  retire(std::move(e.run));
  if (e.queued) queue_.erase(std::remove(queue_.begin(), queue_.end(), name), queue_.end());
  entries_.erase(it);
  in_flight_changed();
  start_queued();
}

void Scheduler::in_flight_changed() {
  if (observer_) observer_->on_in_flight(in_flight_);
  if (!hold_ups_) return;
  if (in_flight_ == 0)
    watching_ = {};
  else if (!watching_)
    watching_ = HoldUpWatch::Watching(*hold_ups_);
}

Millis Scheduler::next_due(const std::string& name) const { return entries_.at(name)->due_at; }

void Scheduler::drain(std::function<void()> drained) {
  draining_ = true;
  for (auto& [name, e] : entries_) {
    if (!e->running) e->timer->disable();  // a running one's timer is its deadline
  }
  queue_.clear();
  for (auto& [name, e] : entries_) e->queued = false;
  if (in_flight_ == 0) {
    drained();
    return;
  }
  drained_ = std::move(drained);
}

void Scheduler::on_due(Entry& e) {
  if (draining_) return;
  if (e.running || e.queued) {
    if (observer_) observer_->on_skipped("overlap");
    e.due_at += e.schedule.interval;
    e.timer->enable(e.due_at - clock_.now());
    return;
  }
  if (in_flight_ >= max_in_flight_) {
    e.queued = true;
    queue_.push_back(*e.name);
    if (observer_) observer_->on_queued();
    return;
  }
  start(e);
}

void Scheduler::start(Entry& e) {
  Millis now = clock_.now();
  if (observer_) observer_->on_lag(std::max(Millis(0), now - e.due_at));
  e.running = true;
  e.started_at = now;
  e.hold_up = HeldUpDeadline(held_up());
  ++e.generation;
  ++in_flight_;
  in_flight_changed();
  e.timer->enable(e.schedule.timeout);  // replaces a slot armed while queued: arm_next counts it
  std::uint32_t generation = e.generation;
  Entry* raw = &e;
  retire(std::move(e.run));
  auto run = e.check->start([this, raw, generation](std::vector<checks::CheckResult> results) {
    on_done(*raw, generation, std::move(results), false);
  });
  // A run that failed before any I/O has already reported (from inside start): nothing to keep.
  if (e.running && e.generation == generation) e.run = std::move(run);
}

void Scheduler::on_deadline(Entry& e) {
  // Late: the loop itself was held up (a paused VM or container, a CPU quota, a turn that ran
  // long). The run gets that time back once, its I/O read first (run_results.h).
  Millis late = clock_.now() - (e.started_at + e.schedule.timeout);
  if (Millis more = e.hold_up.put_off(late, e.schedule.timeout, held_up()); more.count() > 0) {
    e.timer->enable(more);
    return;
  }
  auto results = e.run->cancel();
  on_done(e, e.generation, std::move(results), true);
}

void Scheduler::on_done(Entry& e, std::uint32_t generation, std::vector<checks::CheckResult> results, bool timed_out) {
  if (!e.running || generation != e.generation) return;  // a late completion of an abandoned run
  e.running = false;
  e.timer->disable();
  --in_flight_;
  in_flight_changed();
  auto elapsed = std::chrono::duration_cast<checks::Micros>(clock_.now() - e.started_at);
  finish_results(results, timed_out, elapsed, e.schedule.timeout);
  e.hold_up.annotate(results, held_up());
  bool failed = false;
  for (const auto& r : results) failed = failed || r.failure.failure_class != checks::FailureClass::kOk;
  std::string name = *e.name;
  if (!draining_) arm_next(e, failed);
  retire(std::move(e.run));
  // What the sink does with the results must never undo the bookkeeping above or below.
  try {
    sink_(name, std::move(results));
  } catch (const std::exception& error) {
    if (observer_) observer_->on_result_error(name, error.what());
  } catch (...) {
    if (observer_) observer_->on_result_error(name, "unknown exception");
  }
  if (draining_) {
    if (in_flight_ == 0 && drained_) {
      auto drained = std::move(drained_);
      drained_ = nullptr;
      drained();
    }
    return;
  }
  start_queued();
}

void Scheduler::arm_next(Entry& e, bool failed) {
  Millis now = clock_.now();
  e.consecutive_failures = failed ? e.consecutive_failures + 1 : 0;
  if (failed && e.consecutive_failures < e.schedule.max_check_attempts) {
    // Confirm a failure soon, as Nagios does, but never later than the regular interval.
    e.due_at = now + Millis(std::min(e.schedule.retry_interval, e.schedule.interval));
  } else {
    Millis after = e.due_at.count() > 0 ? std::max(now, e.due_at + Millis(1)) : now;
    Millis next = next_slot(after, e.offset, e.schedule.interval);
    // Slots that passed while this run was queued or running were not run: count them.
    if (e.due_at.count() > 0 && !failed) {
      for (Millis slot = next_slot(e.due_at + Millis(1), e.offset, e.schedule.interval); slot < next;
           slot += e.schedule.interval) {
        if (observer_) observer_->on_skipped("overlap");
      }
    }
    e.due_at = next;
  }
  e.timer->enable(e.due_at - now);
}

void Scheduler::set_max_in_flight(std::size_t max_in_flight) {
  max_in_flight_ = std::max<std::size_t>(1, max_in_flight);
  start_queued();
}

void Scheduler::start_queued() {
  while (!queue_.empty() && in_flight_ < max_in_flight_ && !draining_) {
    auto it = entries_.find(queue_.front());
    queue_.pop_front();
    if (it == entries_.end()) continue;
    it->second->queued = false;
    start(*it->second);
  }
}

}  // namespace prober::scheduler
