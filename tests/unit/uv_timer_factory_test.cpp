// The agent's timers: many on one libuv timer, from a heap. Real loop, delays of a few ms.
#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <vector>

#include "io/loop.h"
#include "scheduler/uv_clock.h"

using namespace prober;
using scheduler::Millis;

namespace {

struct Fixture {
  io::Loop loop;
  std::unique_ptr<scheduler::UvTimerFactory> timers = std::make_unique<scheduler::UvTimerFactory>(loop.get());
  ~Fixture() {
    timers.reset();
    loop.close();
  }
  void run() { uv_run(loop.get(), UV_RUN_DEFAULT); }
};

}  // namespace

TEST_CASE("timers fire in due order; equal ones in the order they were armed; a disabled one never") {
  Fixture f;
  std::vector<int> fired;
  std::vector<std::unique_ptr<scheduler::Timer>> t;
  for (int i = 0; i < 6; ++i) t.push_back(f.timers->create([&fired, i] { fired.push_back(i); }));
  t[0]->enable(Millis(20));
  t[1]->enable(Millis(5));
  t[2]->enable(Millis(10));
  t[3]->enable(Millis(10));
  t[4]->enable(Millis(1));
  t[5]->enable(Millis(2));
  t[4]->enable(Millis(15));  // re-armed: moves
  t[5]->disable();
  CHECK(t[2]->enabled());
  CHECK_FALSE(t[5]->enabled());
  f.run();
  CHECK(fired == std::vector<int>{1, 2, 3, 4, 0});
  for (auto& timer : t) CHECK_FALSE(timer->enabled());
}

TEST_CASE("a callback may re-arm its timer for now (next turn, not a loop), disarm or destroy others, or itself") {
  Fixture f;
  int again = 0, victim_fired = 0, self_fired = 0;
  std::unique_ptr<scheduler::Timer> victim = f.timers->create([&] { ++victim_fired; });
  std::unique_ptr<scheduler::Timer> self;
  self = f.timers->create([&] {
    ++self_fired;
    self.reset();
  });
  std::unique_ptr<scheduler::Timer> repeat;
  repeat = f.timers->create([&] {
    if (++again < 3) repeat->enable(Millis(0));
    victim.reset();  // was due at the same time: never fires
  });
  repeat->enable(Millis(3));
  victim->enable(Millis(3));
  self->enable(Millis(3));
  f.run();
  CHECK(again == 3);
  CHECK(victim_fired == 0);
  CHECK(self_fired == 1);
  CHECK_FALSE(self);
}

TEST_CASE("many timers armed, re-armed and disarmed at random: each enabled one fires once, in due order") {
  Fixture f;
  std::mt19937 random(7);
  constexpr int kTimers = 2000;
  std::vector<std::unique_ptr<scheduler::Timer>> t;
  std::vector<int> due(kTimers, -1);  // ms after the start; -1: disabled
  std::vector<int> fired_order;
  std::vector<int> count(kTimers, 0);
  for (int i = 0; i < kTimers; ++i) {
    t.push_back(f.timers->create([&, i] {
      ++count[i];
      fired_order.push_back(i);
    }));
  }
  for (int step = 0; step < 3 * kTimers; ++step) {
    int i = static_cast<int>(random() % kTimers);
    if (random() % 4 == 0) {
      t[i]->disable();
      due[i] = -1;
    } else {
      due[i] = static_cast<int>(random() % 30);
      t[i]->enable(Millis(due[i]));
    }
  }
  f.run();
  for (int i = 0; i < kTimers; ++i) CHECK(count[i] == (due[i] >= 0 ? 1 : 0));
  for (std::size_t k = 1; k < fired_order.size(); ++k) CHECK(due[fired_order[k - 1]] <= due[fired_order[k]]);
}

TEST_CASE("a backlog of due timers fires in bounded turns, the loop's I/O read between them") {
  Fixture f;
  constexpr int kTimers = 1000;
  std::vector<int> fired_order;
  std::vector<std::unique_ptr<scheduler::Timer>> t;
  for (int i = 0; i < kTimers; ++i) {
    t.push_back(f.timers->create([&fired_order, i] { fired_order.push_back(i); }));
    t.back()->enable(Millis(0));
  }
  // I/O that is ready before the loop starts: it must be read after the first turn's timers,
  // not after all of them (a held-up agent would otherwise start thousands of checks while the
  // answers of those in flight wait unread).
  struct Probe {
    uv_async_t async{};
    std::vector<std::size_t> seen;  // timers fired when the I/O was read
    const std::vector<int>* fired = nullptr;
  } probe;
  probe.fired = &fired_order;
  uv_async_init(f.loop.get(), &probe.async, [](uv_async_t* a) {
    auto* p = static_cast<Probe*>(a->data);
    p->seen.push_back(p->fired->size());
    uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
  });
  probe.async.data = &probe;
  uv_async_send(&probe.async);
  f.run();
  REQUIRE(probe.seen.size() == 1);
  CHECK(probe.seen[0] <= scheduler::UvTimerFactory::kMaxFiredPerTurn);
  REQUIRE(fired_order.size() == kTimers);
  for (int i = 0; i < kTimers; ++i) CHECK(fired_order[i] == i);
}
