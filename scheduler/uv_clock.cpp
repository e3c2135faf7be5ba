#include "scheduler/uv_clock.h"

#include <algorithm>
#include <cstdio>

#include "io/uv_timer.h"

namespace prober::scheduler {

UvClock::UvClock(uv_loop_t* loop) : loop_(loop) {
  auto wall = std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch());
  epoch_offset_ = wall - Millis(uv_now(loop_));
}

Millis UvClock::now() const { return epoch_offset_ + Millis(uv_now(loop_)); }

// A Timer of the factory's heap; `index` is its place there while armed.
class UvTimerFactory::QueuedTimer final : public Timer {
 public:
  QueuedTimer(UvTimerFactory& queue, std::function<void()> callback) : queue_(queue), callback_(std::move(callback)) {}
  ~QueuedTimer() override { disable(); }
  void enable(Millis delay) override {
    queue_.remove(this);
    queue_.push(this, uv_now(queue_.loop_) + static_cast<std::uint64_t>(std::max<Millis::rep>(0, delay.count())));
  }
  void disable() override { queue_.remove(this); }
  bool enabled() const override { return index != kIdle; }
  // An exception from the callback must not cross libuv.
  void fire() noexcept {
    try {
      callback_();
    } catch (...) {
      std::fprintf(stderr, "prober: a timer callback threw\n");
    }
  }

  static constexpr std::size_t kIdle = static_cast<std::size_t>(-1);
  std::size_t index = kIdle;

 private:
  UvTimerFactory& queue_;
  std::function<void()> callback_;
};

UvTimerFactory::UvTimerFactory(uv_loop_t* loop)
    : loop_(loop), timer_(std::make_unique<io::UvTimer>(loop, [this] { fire_due(); })) {}

UvTimerFactory::~UvTimerFactory() { close(); }

void UvTimerFactory::close() noexcept {
  if (timer_) timer_->close();
}

std::unique_ptr<Timer> UvTimerFactory::create(std::function<void()> callback) {
  return std::make_unique<QueuedTimer>(*this, std::move(callback));
}

namespace {
bool earlier(std::uint64_t due_a, std::uint64_t seq_a, std::uint64_t due_b, std::uint64_t seq_b) {
  return due_a != due_b ? due_a < due_b : seq_a < seq_b;
}
}  // namespace

void UvTimerFactory::place(std::size_t i, Slot slot) {
  heap_[i] = slot;
  slot.timer->index = i;
}

void UvTimerFactory::sift_up(std::size_t i) {
  Slot slot = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!earlier(slot.due, slot.seq, heap_[parent].due, heap_[parent].seq)) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, slot);
}

void UvTimerFactory::sift_down(std::size_t i) {
  Slot slot = heap_[i];
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= heap_.size()) break;
    if (child + 1 < heap_.size() &&
        earlier(heap_[child + 1].due, heap_[child + 1].seq, heap_[child].due, heap_[child].seq))
      ++child;
    if (!earlier(heap_[child].due, heap_[child].seq, slot.due, slot.seq)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, slot);
}

void UvTimerFactory::push(QueuedTimer* t, std::uint64_t due) {
  bool was_first = heap_.empty() || due < heap_.front().due;
  heap_.push_back({due, next_seq_++, t});
  sift_up(heap_.size() - 1);
  if (was_first) rearm();
}

void UvTimerFactory::remove(QueuedTimer* t) {
  std::size_t i = t->index;
  if (i == QueuedTimer::kIdle) return;
  t->index = QueuedTimer::kIdle;
  Slot last = heap_.back();
  heap_.pop_back();
  if (i < heap_.size()) {
    place(i, last);
    sift_down(i);
    sift_up(last.timer->index);
  }
  // The uv timer stays armed for a front that went away: it fires early once and re-arms.
  if (heap_.empty() && timer_) timer_->stop();
}

void UvTimerFactory::rearm() {
  if (!timer_ || heap_.empty()) return;
  std::uint64_t now = uv_now(loop_);
  std::uint64_t due = heap_.front().due;
  timer_->start(due > now ? due - now : 0);
}

void UvTimerFactory::fire_due() {
  std::uint64_t now = uv_now(loop_);
  // Only what was due when this turn began: a callback that re-arms for "now" runs next turn.
  std::uint64_t last_seq = next_seq_;
  std::size_t fired = 0;
  while (!heap_.empty() && heap_.front().due <= now && heap_.front().seq < last_seq) {
    if (fired == kMaxFiredPerTurn) {
      // More are due (a backlog: the loop was held up, or more monitors share a slot than one
      // turn should start): the rest after the loop has read its sockets. Starting them all in
      // one turn leaves finished checks unread meanwhile, so the checks in flight pile up and
      // each costs more (seen: 3 000 connections open at once and twice the CPU per check at
      // 200 000 monitors, for minutes after a held-up turn). A delay of 1 ms, not 0: libuv
      // before 1.45 runs a timer re-armed for 0 again in the same turn, before any I/O.
      if (timer_) timer_->start(1);
      return;
    }
    QueuedTimer* t = heap_.front().timer;
    remove(t);
    t->fire();  // may destroy timers, this one included, or arm them
    ++fired;
  }
  rearm();
}

}  // namespace prober::scheduler
