#pragma once
// Exponential backoff with jitter for a sink's retries: the n-th retry waits between half and
// all of min(max, min·2^n), so vantages that lost the same central service do not come back in
// step. `random01` is injected (tests pass fixed values).
#include <algorithm>
#include <chrono>
#include <optional>
#include <random>

namespace prober::report {

inline std::chrono::milliseconds backoff_delay(std::chrono::milliseconds min, std::chrono::milliseconds max, int retry,
                                               double random01,
                                               std::optional<std::chrono::milliseconds> retry_after = {}) {
  double ceiling = static_cast<double>(min.count());
  for (int i = 0; i < retry && ceiling < static_cast<double>(max.count()); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<double>(max.count()));
  auto wait =
      std::chrono::milliseconds(static_cast<long long>(ceiling / 2 + ceiling / 2 * std::clamp(random01, 0.0, 1.0)));
  // A server's Retry-After is a floor, never shortened by jitter.
  if (retry_after && *retry_after > wait) wait = *retry_after;
  return wait;
}

// The jitter for backoff_delay: one generator for every sink on the loop thread.
inline double random_jitter() {
  static thread_local std::mt19937 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(generator);
}

}  // namespace prober::report
