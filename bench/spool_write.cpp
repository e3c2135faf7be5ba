// The spool's write cost per result: what a result bound for the push sinks costs the loop
// thread (append + the seq put_state), and what it costs in all, the writer thread's SQLite
// transactions included (CPU time of the process / results), and at what rate the disk takes
// them. Records are the size of real ones: one CheckResult JSON line (webhook) and one
// serialized WriteRequest (remote write) per result.
// Usage: spool_write [RESULTS] [DIR]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "io/loop.h"
#include "io/process_usage.h"
#include "report/spool.h"

namespace {}  // namespace

int main(int argc, char** argv) {
  const int results = argc > 1 ? std::atoi(argv[1]) : 100000;
  std::string dir = argc > 2 ? argv[2] : "";
  if (dir.empty()) {
    char tmpl[] = "/tmp/prober-spool-bench-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  prober::io::Loop loop;
  auto opened = prober::report::Spool::open(loop.get(), dir, {4ull << 30, 4ull << 30});
  if (auto* e = std::get_if<std::string>(&opened)) {
    std::fprintf(stderr, "%s\n", e->c_str());
    return 1;
  }
  auto spool = std::move(std::get<std::unique_ptr<prober::report::Spool>>(opened));
  const std::string line(1400, 'j');    // a CheckResult JSON line of an HTTP check
  const std::string series(2100, 'p');  // one run's probe_* series as a WriteRequest

  using clock = std::chrono::steady_clock;
  double cpu0 = prober::io::process_cpu_seconds();
  auto t0 = clock::now();
  std::chrono::nanoseconds on_loop{0};
  for (int i = 0; i < results; ++i) {
    auto a = clock::now();
    spool->append("webhook", line, 1764064800000 + i, i + 1);
    spool->append("remote_write", series, 1764064800000 + i);
    spool->put_state("seq", std::to_string(i + 1));
    on_loop += clock::now() - a;
    // The agent's loop runs between results; here a short pause every 1000 results lets the
    // writer batch as it would at a steady rate.
    if (i % 1000 == 999) uv_run(loop.get(), UV_RUN_NOWAIT);
  }
  spool->flush();
  auto wall = std::chrono::duration<double>(clock::now() - t0).count();
  double cpu = prober::io::process_cpu_seconds() - cpu0;
  std::printf("spool write cost, %d results (2 records each: %zu + %zu bytes) in %s\n", results, line.size(),
              series.size(), dir.c_str());
  std::printf("  loop thread: %.2f us per result (append x2 + seq)\n",
              std::chrono::duration<double, std::micro>(on_loop).count() / results);
  std::printf("  all threads: %.2f us CPU per result (SQLite WAL, synchronous=NORMAL, batched)\n", cpu * 1e6 / results);
  std::printf("  throughput:  %.0f results/s to disk (%.1f MB/s of payload)\n", results / wall,
              results * static_cast<double>(line.size() + series.size()) / wall / 1e6);

  // The delivery side: read every record back in batches of 500 and remove it, as acknowledged
  // batches are.
  cpu0 = prober::io::process_cpu_seconds();
  t0 = clock::now();
  for (const char* queue : {"webhook", "remote_write"}) {
    std::int64_t cursor = 0;
    for (;;) {
      std::vector<prober::report::SpoolRecord> batch;
      bool done = false;
      spool->fetch(queue, cursor, 500, [&](std::vector<prober::report::SpoolRecord> r) {
        batch = std::move(r);
        done = true;
      });
      while (!done) uv_run(loop.get(), UV_RUN_ONCE);
      if (batch.empty()) break;
      cursor = batch.back().id;
      std::vector<std::int64_t> ids;
      for (const auto& r : batch) ids.push_back(r.id);
      spool->remove(std::move(ids));
    }
  }
  spool->flush();
  cpu = prober::io::process_cpu_seconds() - cpu0;
  wall = std::chrono::duration<double>(clock::now() - t0).count();
  std::printf("  read back and remove: %.2f us CPU per result, %.0f results/s; spool bytes after: %llu\n",
              cpu * 1e6 / results, results / wall, static_cast<unsigned long long>(spool->bytes()));
  spool.reset();
  if (argc <= 2) std::filesystem::remove_all(dir);
  return 0;
}
