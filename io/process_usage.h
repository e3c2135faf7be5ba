#pragma once
// This process' CPU time (user + system), for process_cpu_seconds_total and the benchmarks.
#include <sys/resource.h>

namespace prober::io {

inline double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace prober::io
