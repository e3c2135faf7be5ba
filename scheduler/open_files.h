#pragma once
// How many checks may run at once within the process' open-file limit. A check past that limit
// fails at socket(): c-ares reports it as a refused DNS server, curl as a failed connect — a
// false failure blamed on the target for the vantage's own limit. So the agent raises its soft
// limit to the hard one and runs no more checks at once than the descriptors left allow.
#include <cstddef>
#include <cstdint>

namespace prober::scheduler {

// Descriptors one check may hold at its peak: an HTTPS check has its TCP socket, the local
// socket curl speaks HTTP through (listening, accepted, curl's end), a DNS socket while it
// resolves, and an AIA fetch's connection.
inline constexpr std::size_t kFilesPerCheck = 6;

// What else holds descriptors: the endpoint's connections and its /probe runs, diagnoses (each
// may try several connections at once), sinks, the spool and the loop itself.
struct OpenFileNeeds {
  std::size_t endpoint_connections = 0;
  std::size_t probe_runs = 0;
  std::size_t diagnoses = 0;
};

// Checks at once that fit in `open_files` descriptors besides `needs` (at least 1).
std::size_t checks_that_fit(std::uint64_t open_files, const OpenFileNeeds& needs);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force afterwards.
std::uint64_t raise_open_file_limit();

}  // namespace prober::scheduler
