// CPU time per check: runs COUNT checks of one target with CONCURRENCY in flight on one loop
// (the agent's shape) and prints CPU microseconds per check from getrusage, checks/s, max RSS.
// With --rate R the checks start R per second from a timer instead (at most CONCURRENCY in
// flight): the agent's pace, where every check wakes the loop on its own.
// Usage: check_cpu http|https|tls|tcp|dns TARGET COUNT CONCURRENCY [--ca-file F] [--dns-server S]
//        [--rate R [--burst B]]   (B checks started together every B/R seconds)
#include <ares.h>
#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "checks/make_check.h"
#include "config/enum_names.h"
#include "io/loop.h"
#include "io/process_usage.h"
#include "io/uv_timer.h"
#include "scheduler/one_shot_runner.h"

using namespace prober;

namespace {

long max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// One slot keeps one check in flight; the next run starts from a timer, never from inside the
// completion of the previous one.
struct Slot {
  explicit Slot(uv_loop_t* loop) : restart(loop) {}
  std::unique_ptr<checks::Check> check;
  std::unique_ptr<scheduler::OneShotRunner> runner;
  io::UvTimer restart;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: %s http|https|tls|tcp|dns TARGET COUNT CONCURRENCY [--ca-file F] [--dns-server S] "
                 "[--rate R [--burst B]]\n",
                 argv[0]);
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  ares_library_init(ARES_LIB_INIT_ALL);
  std::string kind = argv[1];
  config::MonitorConfig m;
  m.name = "bench";
  m.target = argv[2];
  m.type = config::check_type_from(kind).value_or(config::CheckType::kHttp);  // "https" is an http check
  m.timeout = std::chrono::seconds(10);
  m.expect.edit().cert_expiry = {};
  const long total = std::atol(argv[3]);
  const int concurrency = std::atoi(argv[4]);
  double rate = 0;  // checks started per second; 0: back to back
  int burst = 1;    // with a rate: checks started together at each tick
  for (int i = 5; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ca-file")) m.tls.edit().ca_file = argv[i + 1];
    if (!std::strcmp(argv[i], "--dns-server")) m.request.edit().dns_servers.push_back(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rate")) rate = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--burst")) burst = std::max(1, std::atoi(argv[i + 1]));
  }

  long started = 0, finished = 0, no_free_slot = 0;
  std::map<std::string, long> classes;
  double cpu_start = 0;
  std::uint64_t wall_start = 0;
  {
    io::Loop loop;
    {
      io::CurlMultiDriver curl(loop.get());
      io::ResolverPool resolvers(loop.get());
      checks::TlsContexts tls;
      checks::CheckEnv env{curl, resolvers, tls};
      std::vector<std::unique_ptr<Slot>> slots;
      std::vector<Slot*> idle;
      std::function<void(Slot&)> launch = [&](Slot& slot) {
        if (started >= total) return;
        ++started;
        slot.runner->run(*slot.check, m.timeout, [&](std::vector<checks::CheckResult> results) {
          for (const auto& r : results) classes[std::string(to_string(r.failure.failure_class))]++;
          ++finished;
          if (rate > 0)
            idle.push_back(&slot);
          else
            slot.restart.start(0, 0, [&] { launch(slot); });
        });
      };
      for (int i = 0; i < concurrency; ++i) {
        auto slot = std::make_unique<Slot>(loop.get());
        auto made = checks::make_check(env, m);
        if (auto* error = std::get_if<std::string>(&made)) {
          std::fprintf(stderr, "%s\n", error->c_str());
          return 2;
        }
        slot->check = std::move(std::get<std::unique_ptr<checks::Check>>(made));
        slot->runner = std::make_unique<scheduler::OneShotRunner>(loop.get());
        slots.push_back(std::move(slot));
      }
      cpu_start = prober::io::process_cpu_seconds();
      wall_start = uv_hrtime();
      // Tick k starts `burst` checks at k·burst/rate seconds (rounded to the loop's milliseconds, the
      // next tick aimed from the start, so the pace does not drift).
      io::UvTimer pace(loop.get());
      std::function<void()> tick = [&] {
        for (int b = 0; b < burst && started < total; ++b) {
          if (idle.empty()) {
            ++no_free_slot;
            break;
          }
          Slot* slot = idle.back();
          idle.pop_back();
          launch(*slot);
        }
        if (started >= total) return;
        const double due_ms = 1000.0 * static_cast<double>(started) / rate;
        const double now_ms = static_cast<double>(uv_hrtime() - wall_start) / 1e6;
        pace.start(due_ms > now_ms ? static_cast<std::uint64_t>(due_ms - now_ms + 0.5) : 0, 0, tick);
      };
      if (rate > 0) {
        for (auto& slot : slots) idle.push_back(slot.get());
        tick();
      } else {
        for (auto& slot : slots) launch(*slot);
      }
      while (finished < total) uv_run(loop.get(), UV_RUN_ONCE);
      pace.stop();
    }
    loop.close();
  }
  double cpu = prober::io::process_cpu_seconds() - cpu_start;
  double wall = static_cast<double>(uv_hrtime() - wall_start) / 1e9;
  std::printf("%s checks=%ld concurrency=%d cpu_us_per_check=%.1f checks_per_s=%.0f wall_s=%.2f max_rss_kib=%ld",
              kind.c_str(), total, concurrency, cpu * 1e6 / static_cast<double>(total),
              static_cast<double>(total) / wall, wall, max_rss_kib());
  if (rate > 0) std::printf(" rate=%.0f burst=%d no_free_slot=%ld", rate, burst, no_free_slot);
  for (const auto& [c, n] : classes) std::printf(" %s=%ld", c.c_str(), n);
  std::printf("\n");
  ares_library_cleanup();
  curl_global_cleanup();
  return 0;
}
