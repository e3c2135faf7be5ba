#pragma once
// Phase durations from curl's cumulative timestamps, and their sum over redirect hops.
#include <cstdint>
#include <string>

#include "checks/check_result.h"

namespace prober::checks {

// CURLINFO_*_TIME_T values: microseconds from the transfer's start, 0 for "not reached".
struct CurlTimes {
  std::int64_t namelookup = 0, connect = 0, appconnect = 0, starttransfer = 0, total = 0;
};

Timings transfer_timings(const CurlTimes& t, bool uses_tls);
// Phase-wise sum; a phase is null only when it is null on both sides.
Timings add(const Timings& a, const Timings& b);
double to_ms(Micros d);                 // rounded to 0.1 ms
std::string format_ms(double ms);       // "12.3 ms": how every message prints a duration
Micros since(std::uint64_t hrtime_ns);  // from a uv_hrtime() mark until now

}  // namespace prober::checks
