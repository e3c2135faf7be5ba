// The scheduler on a fake clock: armed deadlines asserted, nothing sleeps.
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>

#include "../support/scheduler_harness.h"
#include "scheduler/offsets.h"
#include "scheduler/open_files.h"
#include "scheduler/run_results.h"
#include "scheduler/shard.h"

using namespace prober;
using namespace prober::scheduler;
using prober::testing::every;
using prober::testing::FakeCheck;
using prober::testing::FakeClock;
using prober::testing::FakeTimerFactory;
using prober::testing::Harness;
using prober::testing::Observer;

TEST_CASE("next_slot worked examples") {
  CHECK(next_slot(Millis(100000), Millis(12000), Millis(60000)) == Millis(132000));
  CHECK(next_slot(Millis(132000), Millis(12000), Millis(60000)) == Millis(132000));
  CHECK(next_slot(Millis(133000), Millis(12000), Millis(60000)) == Millis(192000));
  CHECK(next_slot(Millis(0), Millis(0), Millis(60000)) == Millis(0));
}

TEST_CASE("offsets are deterministic per (monitor, vantage) and spread over the interval") {
  CHECK(offset_for("shop", "tokyo-1", Millis(60000)) == offset_for("shop", "tokyo-1", Millis(60000)));
  CHECK(offset_for("shop", "tokyo-1", Millis(60000)) != offset_for("shop", "paris-1", Millis(60000)));
  int buckets[6] = {};
  for (int i = 0; i < 6000; ++i) {
    auto off = offset_for("monitor-" + std::to_string(i), "tokyo-1", Millis(60000));
    REQUIRE(off < Millis(60000));
    ++buckets[off.count() / 10000];
  }
  for (int b : buckets) CHECK((b > 850 && b < 1150));  // each 10 s of the minute gets ~1/6
}

TEST_CASE("first run at the monitor's slot, then every interval") {
  Harness h;
  auto* check = h.add("shop", every(Millis(60000)));
  Millis due = h.scheduler->next_due("shop");
  Millis offset = offset_for("shop", "tokyo-1", Millis(60000));
  CHECK(due == next_slot(h.clock.now(), offset, Millis(60000)));
  h.timers.advance(due - h.clock.now() - Millis(1));
  CHECK(check->starts() == 0);
  h.timers.advance(Millis(1));
  CHECK(check->starts() == 1);
  h.timers.advance(Millis(200));
  check->complete(checks::FailureClass::kOk);
  CHECK(h.scheduler->next_due("shop") == due + Millis(60000));
  h.timers.advance(Millis(60000));
  CHECK(check->starts() == 2);
  CHECK(h.observer.lags == std::vector<Millis>{Millis(0), Millis(0)});
  CHECK(h.results["shop"].size() == 1);
}

TEST_CASE("retry_interval after a failure until max_check_attempts, then back to the interval") {
  Harness h;
  auto* check = h.add("shop", every(Millis(60000), Millis(5000), Millis(10000), 3));
  h.timers.advance(h.scheduler->next_due("shop") - h.clock.now());
  Millis t0 = h.clock.now();
  check->complete(checks::FailureClass::kTcpRefused);  // attempt 1
  CHECK(h.scheduler->next_due("shop") == t0 + Millis(10000));
  h.timers.advance(Millis(10000));
  check->complete(checks::FailureClass::kTcpRefused);  // attempt 2
  CHECK(h.scheduler->next_due("shop") == t0 + Millis(20000));
  h.timers.advance(Millis(10000));
  check->complete(checks::FailureClass::kTcpRefused);  // attempt 3: hard, back to the slot
  CHECK(h.scheduler->next_due("shop") == t0 + Millis(60000));
  h.timers.advance(Millis(40000));
  check->complete(checks::FailureClass::kOk);
  CHECK(h.scheduler->next_due("shop") == t0 + Millis(120000));
  CHECK(check->starts() == 4);
}

TEST_CASE("a failing monitor never runs less often than its interval: retry at min(retry_interval, interval)") {
  Harness h;
  // A 1 s monitor with the 10 s default retry_interval.
  auto* check = h.add("fast", every(Millis(1000), Millis(500), Millis(10000), 3));
  h.timers.advance(h.scheduler->next_due("fast") - h.clock.now());
  Millis t0 = h.clock.now();
  check->complete(checks::FailureClass::kTcpRefused);
  CHECK(h.scheduler->next_due("fast") == t0 + Millis(1000));
  h.timers.advance(Millis(1000));
  CHECK(check->starts() == 2);
  check->complete(checks::FailureClass::kTcpRefused);
  CHECK(h.scheduler->next_due("fast") == t0 + Millis(2000));
}

TEST_CASE("every run is a new object, destroyed from the loop after it reported") {
  Harness h;
  auto* check = h.add("shop", every(Millis(60000)));
  for (int run = 1; run <= 5; ++run) {
    h.timers.advance(h.scheduler->next_due("shop") - h.clock.now());
    CHECK(check->starts() == run);
    CHECK(check->state->live_runs == 1);
    check->complete(run % 2 ? checks::FailureClass::kOk : checks::FailureClass::kTcpRefused);
    CHECK(check->state->live_runs == 1);  // not inside its own callback
    h.timers.advance(Millis(0));
    CHECK(check->state->live_runs == 0);
  }
  CHECK(h.results["shop"].size() == 5);
}

TEST_CASE("a run that reports from inside start() is handled like any other") {
  Harness h;
  auto check = std::make_unique<FakeCheck>();
  check->fail_at_start = checks::FailureClass::kInternalError;
  auto state = check->state;
  h.scheduler->add("broken", every(Millis(60000)), std::move(check));
  h.timers.advance(h.scheduler->next_due("broken") - h.clock.now());
  CHECK(state->starts == 1);
  CHECK(h.results["broken"].size() == 1);
  CHECK(h.scheduler->in_flight() == 0);
  h.timers.advance(Millis(10000));
  CHECK(state->starts == 2);  // still scheduled (a retry after the failure)
  CHECK(state->live_runs == 0);
}

TEST_CASE("results whose handling throws do not stop the schedule, the queue or a drain") {
  FakeClock clock;
  clock.now_ = Millis(1'000'000);
  FakeTimerFactory timers{clock};
  Observer observer;
  int delivered = 0;
  Scheduler scheduler(
      clock, timers, "tokyo-1", 1,
      [&](const std::string&, std::vector<checks::CheckResult>) {
        ++delivered;
        throw std::runtime_error("invalid UTF-8");
      },
      &observer);
  auto a = std::make_unique<FakeCheck>();
  auto b = std::make_unique<FakeCheck>();
  auto sa = a->state, sb = b->state;
  scheduler.add("a", every(Millis(60000), Millis(50000)), std::move(a));
  scheduler.add("b", every(Millis(60000), Millis(50000)), std::move(b));
  timers.advance(std::max(scheduler.next_due("a"), scheduler.next_due("b")) - clock.now());
  REQUIRE(sa->starts + sb->starts == 1);  // one slot: the other waits in the queue
  auto& first = sa->starts ? sa : sb;
  auto& second = sa->starts ? sb : sa;
  auto done = std::move(first->done);
  checks::CheckResult r;
  done({r});
  CHECK(delivered == 1);
  CHECK(observer.result_errors.size() == 1);
  CHECK(second->starts == 1);  // the queued run still started
  bool drained = false;
  scheduler.drain([&] { drained = true; });
  auto done2 = std::move(second->done);
  done2({r});
  CHECK(drained);
}

TEST_CASE("the deadline is armed by the scheduler and the timeout classified once") {
  Harness h;
  auto* check = h.add("slow", every(Millis(60000), Millis(5000)));
  h.timers.advance(h.scheduler->next_due("slow") - h.clock.now());
  CHECK(check->starts() == 1);
  h.timers.advance(Millis(4999));
  CHECK(check->cancels() == 0);
  h.timers.advance(Millis(1));
  CHECK(check->cancels() == 1);
  REQUIRE(h.results["slow"].size() == 1);
  const auto& r = h.results["slow"][0];
  CHECK(r.failure.failure_class == checks::FailureClass::kTcpTimeout);
  CHECK(r.timings.total == checks::Micros(5'000'000));
  CHECK_FALSE(r.message.empty());  // explained
  CHECK(h.scheduler->in_flight() == 0);
}

TEST_CASE("a completion after the deadline is dropped") {
  Harness h;
  auto* check = h.add("late", every(Millis(60000), Millis(5000)));
  h.timers.advance(h.scheduler->next_due("late") - h.clock.now());
  auto stale = check->state->done;  // keep the callback of the run that will time out
  h.timers.advance(Millis(5000));
  checks::CheckResult r;
  stale({r});
  CHECK(h.results["late"].size() == 1);  // only the timeout
}

TEST_CASE("max_in_flight queues runs and counts them; a run never overlaps itself") {
  Harness h(1);
  auto* a = h.add("a", every(Millis(60000), Millis(50000)));
  auto* b = h.add("b", every(Millis(60000), Millis(50000)));
  Millis due_a = h.scheduler->next_due("a"), due_b = h.scheduler->next_due("b");
  auto* first = due_a <= due_b ? a : b;
  auto* second = due_a <= due_b ? b : a;
  Millis first_due = std::min(due_a, due_b), second_due = std::max(due_a, due_b);
  REQUIRE(second_due - first_due < Millis(50000));  // the hash puts them this close: fixed names
  h.timers.advance(second_due - h.clock.now());
  CHECK(first->starts() == 1);
  CHECK(second->starts() == 0);
  CHECK(h.observer.queued == 1);
  h.timers.advance(Millis(100));
  first->complete(checks::FailureClass::kOk);
  CHECK(second->starts() == 1);  // the queued run starts as soon as the slot frees
  CHECK(h.observer.lags.back() == Millis(100));
}

TEST_CASE("a reload's max_in_flight: a higher one starts queued runs at once, a lower one lets runs in flight end") {
  Harness h(1);
  std::vector<FakeCheck*> checks;
  for (const char* name : {"a", "b", "c"}) checks.push_back(h.add(name, every(Millis(60000), Millis(50000))));
  h.timers.advance(Millis(60000));  // every slot has come: one runs, two wait
  auto started = [&] {
    return std::count_if(checks.begin(), checks.end(), [](FakeCheck* c) { return c->starts() == 1; });
  };
  REQUIRE(started() == 1);
  REQUIRE(h.scheduler->in_flight() == 1);
  h.scheduler->set_max_in_flight(3);
  CHECK(started() == 3);
  CHECK(h.scheduler->in_flight() == 3);
  h.scheduler->set_max_in_flight(1);  // nothing is cancelled; nothing new starts until under it
  CHECK(h.scheduler->in_flight() == 3);
  for (FakeCheck* c : checks) c->complete(checks::FailureClass::kOk);
  CHECK(h.scheduler->in_flight() == 0);
  CHECK(h.scheduler->max_in_flight() == 1);
  h.scheduler->set_max_in_flight(0);  // never below one
  CHECK(h.scheduler->max_in_flight() == 1);
}

TEST_CASE("checks at once within the open-file limit") {
  OpenFileNeeds needs{256, 100, 4};
  std::size_t reserved = 64 + 256 + 100 * kFilesPerCheck + 4 * 4 * kFilesPerCheck;
  CHECK(checks_that_fit(reserved + 10 * kFilesPerCheck, needs) == 10);
  CHECK(checks_that_fit(reserved + 10 * kFilesPerCheck + kFilesPerCheck - 1, needs) == 10);
  CHECK(checks_that_fit(1024, needs) == 1);  // too few for even the reserve: one check, never none
  CHECK(checks_that_fit(0, needs) == 1);
  CHECK(checks_that_fit(1 << 20, OpenFileNeeds{}) == ((1 << 20) - 64) / kFilesPerCheck);
  // A typical container limit (1 048 576) runs the default max_in_flight (1 000) untouched; 1 024 would not.
  CHECK(checks_that_fit(1 << 20, needs) >= 1000);
  CHECK(checks_that_fit(65536, needs) >= 1000);
}

TEST_CASE("slots that pass while a run waits or runs are skipped and counted, never doubled") {
  Harness h(1);
  auto* blocker = h.add("blocker", MonitorSchedule{Millis(120000), Millis(50000), Millis(1000), 1});
  auto* victim = h.add("victim", MonitorSchedule{Millis(10000), Millis(5000), Millis(1000), 1});
  // Let the blocker start first, then let the victim come due while it holds the only slot.
  h.timers.advance(h.scheduler->next_due("blocker") - h.clock.now());
  REQUIRE(blocker->starts() == 1);
  int victim_runs_before = victim->starts();
  h.timers.advance(Millis(35000));  // the victim's slots keep coming; it waits in the queue
  CHECK(victim->starts() == victim_runs_before);
  blocker->complete(checks::FailureClass::kOk);
  CHECK(victim->starts() == victim_runs_before + 1);  // one run, not one per missed slot
  victim->complete(checks::FailureClass::kOk);
  CHECK(h.observer.skipped >= 2);  // the slots missed while queued
  CHECK(h.observer.queued >= 1);
}

TEST_CASE("removing a monitor cancels its run; drain waits for runs in flight") {
  Harness h;
  auto* a = h.add("a", every(Millis(60000), Millis(50000)));
  auto* b = h.add("b", every(Millis(60000), Millis(50000)));
  Millis last = std::max(h.scheduler->next_due("a"), h.scheduler->next_due("b"));
  h.timers.advance(last - h.clock.now());
  CHECK(h.scheduler->in_flight() == 2);
  h.scheduler->remove("a");
  CHECK(h.scheduler->in_flight() == 1);
  CHECK(h.results["a"].empty());
  bool drained = false;
  h.scheduler->drain([&] { drained = true; });
  CHECK_FALSE(drained);
  b->complete(checks::FailureClass::kOk);
  CHECK(drained);
  h.timers.advance(Millis(600000));
  CHECK(h.results["b"].size() == 1);  // nothing starts after a drain
  CHECK(b->starts() == 1);
  (void)a;
}

TEST_CASE("coordinated offsets: one phase per monitor in every region, vantage i of M shifted i/M of the interval") {
  using prober::scheduler::coordinated_offset;
  const Millis interval(60000);
  Millis first = coordinated_offset("shop", interval, 0, 3);
  CHECK(coordinated_offset("shop", interval, 1, 3) == Millis((first.count() + 20000) % 60000));
  CHECK(coordinated_offset("shop", interval, 2, 3) == Millis((first.count() + 40000) % 60000));
  CHECK(coordinated_offset("shop", interval, 0, 1) == first);
  CHECK(coordinated_offset("api", interval, 0, 3) != first);  // monitors still spread
  // Three regions together: the target is checked every 20 s.
  std::vector<Millis::rep> runs;
  for (int v = 0; v < 3; ++v)
    runs.push_back(
        prober::scheduler::next_slot(Millis(0), coordinated_offset("shop", interval, v, 3), interval).count());
  std::sort(runs.begin(), runs.end());
  CHECK(runs[1] - runs[0] == 20000);
  CHECK(runs[2] - runs[1] == 20000);
}

TEST_CASE("shards: rendezvous hashing spreads monitors and adding shard n+1 moves only ~1/(n+1), all to it") {
  using prober::scheduler::rendezvous_shard;
  const int monitors = 20000;
  for (int n : {1, 2, 4, 9}) {
    std::vector<int> per(n + 1, 0);
    int moved = 0;
    for (int m = 0; m < monitors; ++m) {
      std::string name = "monitor-" + std::to_string(m);
      int before = rendezvous_shard(name, n);
      int after = rendezvous_shard(name, n + 1);
      ++per[after];
      if (before != after) {
        ++moved;
        CHECK(after == n);  // only to the new shard, never between old ones
      }
    }
    double fraction = static_cast<double>(moved) / monitors;
    CAPTURE(n);
    CHECK(fraction == doctest::Approx(1.0 / (n + 1)).epsilon(0.1));
    for (int count : per) CHECK(count == doctest::Approx(static_cast<double>(monitors) / (n + 1)).epsilon(0.1));
  }
}

TEST_CASE("--shard i/n, and a StatefulSet pod name's ordinal") {
  using prober::scheduler::parse_shard;
  using prober::scheduler::Shard;
  std::string error;
  CHECK(parse_shard("0/3", error) == Shard{0, 3});
  CHECK(parse_shard("prober-tokyo-2/3", error) == Shard{2, 3});
  CHECK(!parse_shard("3/3", error));
  CHECK(error == "expected i/n with 0 <= i < n (or POD-NAME-i/n), got \"3/3\"");
  CHECK(!parse_shard("a/3", error));
  CHECK(!parse_shard("1/0", error));
  CHECK(!parse_shard("1", error));
}
