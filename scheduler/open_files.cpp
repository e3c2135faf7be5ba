#include "scheduler/open_files.h"

#include <sys/resource.h>

namespace prober::scheduler {
namespace {

// The loop, log and config files, the spool, sinks' connections, c-ares' channels.
constexpr std::uint64_t kBaseFiles = 64;
// A diagnosis tries several client shapes one after another, at most this many connections open.
constexpr std::uint64_t kFilesPerDiagnosis = 4 * kFilesPerCheck;

}  // namespace

std::size_t checks_that_fit(std::uint64_t open_files, const OpenFileNeeds& needs) {
  std::uint64_t reserved = kBaseFiles + needs.endpoint_connections + needs.probe_runs * kFilesPerCheck +
                           needs.diagnoses * kFilesPerDiagnosis;
  if (open_files <= reserved + kFilesPerCheck) return 1;
  return static_cast<std::size_t>((open_files - reserved) / kFilesPerCheck);
}

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur != limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  // RLIM_INFINITY is not a number of descriptors; the kernel's own ceiling (nr_open) is 2^20 by default.
  return limit.rlim_cur == RLIM_INFINITY ? std::uint64_t{1} << 20 : static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace prober::scheduler
