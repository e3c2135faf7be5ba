// The agent held up (its process paused, short of CPU) while runs are in flight, on a fake clock:
// deadlines put off, the watch's beats, the hints a run gets.
#include <doctest/doctest.h>

#include "../support/scheduler_harness.h"
#include "scheduler/hold_up_watch.h"
#include "scheduler/run_results.h"

using namespace prober;
using namespace prober::scheduler;
using prober::testing::every;
using prober::testing::FakeClock;
using prober::testing::FakeTimerFactory;
using prober::testing::Harness;

TEST_CASE("a deadline that comes late because the loop was held up gives the run that time back, once") {
  Harness h;
  auto* check = h.add("paused", every(Millis(60000), Millis(3000)));
  h.timers.advance(h.scheduler->next_due("paused") - h.clock.now());
  REQUIRE(check->starts() == 1);

  SUBCASE("the answer that came meanwhile is read: no timeout, and the result says why it took long") {
    h.timers.hold_up(Millis(6000));  // the process paused 6 s, 3 s past the deadline
    h.timers.advance(Millis(0));     // the late deadline fires first, as libuv runs timers first
    CHECK(check->cancels() == 0);
    check->complete(checks::FailureClass::kOk);  // then the loop reads the answer
    REQUIRE(h.results["paused"].size() == 1);
    const auto& r = h.results["paused"][0];
    CHECK(r.failure.failure_class == checks::FailureClass::kOk);
    REQUIRE(r.hints.size() == 1);
    // The watch's beat, 5.9 s late, saw more of the pause than the deadline's 3 s lateness.
    CHECK(r.hints[0].find("held up for at least 5900.0 ms") != std::string::npos);
    CHECK(r.hints[0].find("the deadline was put off by 3000.0 ms") != std::string::npos);
  }
  SUBCASE("nothing came: a timeout at the extended deadline, not before") {
    h.timers.hold_up(Millis(1800));
    h.timers.advance(Millis(0));  // the watch's beat: held up 1.7 s
    h.timers.advance(Millis(1199));
    h.timers.hold_up(Millis(200));  // the deadline 199 ms late: put off by the 1.7 s held up before
    h.timers.advance(Millis(1699));
    CHECK(check->cancels() == 0);
    h.timers.advance(Millis(1));
    CHECK(check->cancels() == 1);
    REQUIRE(h.results["paused"].size() == 1);
    CHECK(h.results["paused"][0].failure.failure_class == checks::FailureClass::kTcpTimeout);
    CHECK(h.results["paused"][0].timings.total == checks::Micros(4'899'000));
  }
  SUBCASE("held up longer than the timeout: the run gets the timeout back, no more") {
    h.timers.hold_up(Millis(4000));  // the deadline 1 s late, the watch's beat 3.9 s
    h.timers.advance(Millis(2999));
    CHECK(check->cancels() == 0);
    h.timers.advance(Millis(1));
    CHECK(check->cancels() == 1);
    CHECK(h.results["paused"][0].timings.total == checks::Micros(7'000'000));
  }
  SUBCASE("held up again past the extended deadline: the timeout is not put off twice") {
    h.timers.hold_up(Millis(4000));
    h.timers.advance(Millis(0));
    h.timers.hold_up(Millis(5000));
    h.timers.advance(Millis(0));
    CHECK(check->cancels() == 1);
  }
  SUBCASE("a deadline late by less than kHeldUp, the loop not held up before, times out at once") {
    h.timers.advance(Millis(2999));
    h.timers.hold_up(scheduler::kHeldUp - Millis(2));
    h.timers.advance(Millis(0));
    CHECK(check->cancels() == 1);
    CHECK(h.results["paused"][0].hints.empty());
  }
  SUBCASE("held up for most of the timeout, the deadline itself only a little late: put off too") {
    h.timers.advance(Millis(500));
    h.timers.hold_up(Millis(2600));  // 100 ms past the deadline, 2 s and more past the watch's beat
    h.timers.advance(Millis(0));
    CHECK(check->cancels() == 0);
    check->complete(checks::FailureClass::kOk);
    REQUIRE(h.results["paused"][0].hints.size() == 1);
    CHECK(h.results["paused"][0].hints[0].find("the deadline was put off by 2500.0 ms") != std::string::npos);
  }
  SUBCASE("the next run of the monitor starts with its full deadline again") {
    h.timers.hold_up(Millis(4000));
    h.timers.advance(Millis(0));
    check->complete(checks::FailureClass::kOk);
    h.timers.advance(h.scheduler->next_due("paused") - h.clock.now());
    REQUIRE(check->starts() == 2);
    h.timers.advance(Millis(3000));
    CHECK(check->cancels() == 1);
    CHECK(h.results["paused"].back().hints.empty());
  }
}

TEST_CASE("HeldUpDeadline: put off by the lateness, at most the timeout, once; nothing under kHeldUp") {
  using std::chrono::milliseconds;
  auto put_off = [](milliseconds late) { return HeldUpDeadline().put_off(late, milliseconds(3000)); };
  CHECK(put_off(milliseconds(249)) == milliseconds(0));
  CHECK(put_off(milliseconds(250)) == milliseconds(250));
  CHECK(put_off(milliseconds(2000)) == milliseconds(2000));
  CHECK(put_off(milliseconds(9000)) == milliseconds(3000));
  HeldUpDeadline once;
  REQUIRE(once.put_off(milliseconds(9000), milliseconds(3000)) == milliseconds(3000));
  CHECK(once.put_off(milliseconds(9000), milliseconds(3000)) == milliseconds(0));
  CHECK(put_off(milliseconds(-5)) == milliseconds(0));
  std::vector<checks::CheckResult> results(2);
  HeldUpDeadline().annotate(results, milliseconds(0));  // never put off: no hint
  CHECK(results[0].hints.empty());
  once.annotate(results, milliseconds(0));
  REQUIRE(results[1].hints.size() == 1);
  CHECK(results[1].hints[0] ==
        "prober itself was held up for at least 9000.0 ms during this check (its process paused or short of CPU): "
        "the deadline was put off by 3000.0 ms, and the timings include the hold-up");

  // The watch's hold-ups during the run (its reading at the end less the one at the start).
  HeldUpDeadline watched_late(milliseconds(1000));
  CHECK(watched_late.put_off(milliseconds(100), milliseconds(3000), milliseconds(1249)) == milliseconds(0));
  CHECK(watched_late.put_off(milliseconds(100), milliseconds(3000), milliseconds(3000)) == milliseconds(2000));
  std::vector<checks::CheckResult> watched(1);
  HeldUpDeadline(milliseconds(500)).annotate(watched, milliseconds(749));  // 249 ms: not a hold-up
  CHECK(watched[0].hints.empty());
  HeldUpDeadline(milliseconds(500)).annotate(watched, milliseconds(2500));
  REQUIRE(watched[0].hints.size() == 1);
  CHECK(watched[0].hints[0] ==
        "prober itself was held up for at least 2000.0 ms during this check (its process paused or short of CPU): "
        "the timings include the hold-up");
}

TEST_CASE("HoldUpWatch: a beat while runs are in flight; what comes kHeldUp or more late is a hold-up") {
  using prober::scheduler::HoldUpWatch;
  FakeClock clock;
  FakeTimerFactory timers{clock};
  clock.now_ = Millis(1'000'000);
  HoldUpWatch watch(clock, timers);
  timers.hold_up(Millis(5000));  // nothing in flight: nothing watched, nothing told
  CHECK(watch.held_up() == Millis(0));
  {
    HoldUpWatch::Watching run(watch);
    timers.advance(Millis(1000));  // ten beats on time
    CHECK(watch.held_up() == Millis(0));
    timers.hold_up(scheduler::kHeldUp + HoldUpWatch::kBeat - Millis(1));  // 249 ms past a beat: the loop's own jitter
    CHECK(watch.held_up() == Millis(0));
    timers.advance(Millis(0));
    timers.hold_up(Millis(2100));            // 2 s past the next beat
    CHECK(watch.held_up() == Millis(2000));  // told while it goes on, before the late beat fires
    timers.advance(Millis(0));
    CHECK(watch.held_up() == Millis(2000));  // the late beat counts it once
    {
      HoldUpWatch::Watching another(watch);  // a second run: one beat still
    }
    timers.advance(Millis(500));
    timers.hold_up(Millis(400));
    CHECK(watch.held_up() == Millis(2300));
  }  // the last run ends inside the hold-up: counted, then the beat stops
  CHECK(watch.held_up() == Millis(2300));
  timers.hold_up(Millis(9000));
  timers.advance(Millis(1000));
  CHECK(watch.held_up() == Millis(2300));
}

TEST_CASE("a run that finishes after the agent was held up says so, with no deadline put off") {
  Harness h;
  auto* check = h.add("paused", every(Millis(60000), Millis(5000)));
  h.timers.advance(h.scheduler->next_due("paused") - h.clock.now());
  REQUIRE(check->starts() == 1);
  h.timers.advance(Millis(250));
  h.timers.hold_up(Millis(2000));              // paused 2 s before its deadline: the answer came meanwhile
  check->complete(checks::FailureClass::kOk);  // read as the loop resumes, before any timer
  REQUIRE(h.results["paused"].size() == 1);
  const auto& r = h.results["paused"][0];
  CHECK(r.failure.failure_class == checks::FailureClass::kOk);
  REQUIRE(r.hints.size() == 1);
  CHECK(r.hints[0].find("held up for at least 1950.0 ms during this check") != std::string::npos);
  CHECK(r.hints[0].find("deadline") == std::string::npos);

  // The next run, not held up: no hint.
  h.timers.advance(h.scheduler->next_due("paused") - h.clock.now());
  h.timers.advance(Millis(300));
  check->complete(checks::FailureClass::kOk);
  CHECK(h.results["paused"].back().hints.empty());
}
