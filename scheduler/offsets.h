#pragma once
// Where in its interval a monitor runs. The offset is a hash of (monitor, vantage): load is
// spread evenly and the same monitor runs at the same phase after every restart.
//
// Worked examples (interval 60 s; the offset is the remainder of the slot time):
//   offset 12 s, now 100 s  -> next slot 132 s      (120 + 12)
//   offset 12 s, now 132 s  -> next slot 132 s      (now is a slot: run now)
//   offset 12 s, now 133 s  -> next slot 192 s
//   offset 0,    now 0      -> next slot 0
#include <cstdint>
#include <string_view>

#include "scheduler/clock.h"

namespace prober::scheduler {

std::uint64_t stable_hash(std::string_view a, std::string_view b);  // FNV-1a 64 over a, NUL, b
Millis offset_for(std::string_view monitor, std::string_view vantage, Millis interval);
// With vantage.index/count (DESIGN.md §7): the monitor's phase is a hash of its name alone, the
// same in every region, and vantage `index` of `count` runs index·interval/count after it, so
// the regions together check the target every interval/count.
Millis coordinated_offset(std::string_view monitor, Millis interval, int index, int count);
// The first time at or after `now` that is `offset` past a multiple of `interval`.
Millis next_slot(Millis now, Millis offset, Millis interval);

}  // namespace prober::scheduler
