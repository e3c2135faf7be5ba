#include "scheduler/offsets.h"

namespace prober::scheduler {

std::uint64_t stable_hash(std::string_view a, std::string_view b) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : a) mix(static_cast<unsigned char>(c));
  mix(0);
  for (char c : b) mix(static_cast<unsigned char>(c));
  return h;
}

Millis offset_for(std::string_view monitor, std::string_view vantage, Millis interval) {
  if (interval.count() <= 0) return Millis(0);
  return Millis(static_cast<Millis::rep>(stable_hash(monitor, vantage) % static_cast<std::uint64_t>(interval.count())));
}

Millis coordinated_offset(std::string_view monitor, Millis interval, int index, int count) {
  if (interval.count() <= 0 || count < 1) return Millis(0);
  auto n = static_cast<std::uint64_t>(interval.count());
  std::uint64_t base = stable_hash(monitor, "") % n;
  std::uint64_t shift = n * static_cast<std::uint64_t>(index) / static_cast<std::uint64_t>(count);
  return Millis(static_cast<Millis::rep>((base + shift) % n));
}

Millis next_slot(Millis now, Millis offset, Millis interval) {
  auto n = interval.count();
  auto since = ((now.count() - offset.count()) % n + n) % n;  // how far past the last slot
  return since == 0 ? now : now + Millis(n - since);
}

}  // namespace prober::scheduler
