#include "scheduler/hold_up_watch.h"

#include "scheduler/run_results.h"

namespace prober::scheduler {

HoldUpWatch::HoldUpWatch(const Clock& clock, TimerFactory& timers)
    : clock_(clock), beat_(timers.create([this] { on_beat(); })) {}

HoldUpWatch::Watching::Watching(HoldUpWatch& watch) : watch_(&watch) { watch.begin(); }

HoldUpWatch::Watching& HoldUpWatch::Watching::operator=(Watching&& other) noexcept {
  if (this != &other) {
    release();
    watch_ = other.watch_;
    other.watch_ = nullptr;
  }
  return *this;
}

void HoldUpWatch::Watching::release() noexcept {
  if (watch_) watch_->end();
  watch_ = nullptr;
}

void HoldUpWatch::begin() {
  if (watching_++ > 0) return;
  due_ = clock_.now() + kBeat;
  beat_->enable(kBeat);
}

void HoldUpWatch::end() noexcept {
  if (--watching_ > 0) return;
  total_ += overdue();  // what held_up() has told of a hold-up in progress stays told
  beat_->disable();
}

void HoldUpWatch::on_beat() {
  total_ += overdue();
  due_ = clock_.now() + kBeat;
  beat_->enable(kBeat);
}

Millis HoldUpWatch::overdue() const {
  Millis late = clock_.now() - due_;
  return late >= kHeldUp ? late : Millis(0);
}

Millis HoldUpWatch::held_up() const { return watching_ > 0 ? total_ + overdue() : total_; }

}  // namespace prober::scheduler
