#include "prober/check_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "checks/check_result_json.h"
#include "checks/make_check.h"
#include "config/enum_names.h"
#include "config/monitor_config.h"
#include "config/units.h"
#include "diagnostics/diagnosis.h"
#include "io/loop.h"
#include "prober/check_options.h"
#include "prober/human_output.h"
#include "scheduler/hold_up_watch.h"
#include "scheduler/one_shot_runner.h"
#include "scheduler/uv_clock.h"

namespace prober::cli {

namespace {

const char kDescription[] = R"(TARGET is
  http(s)://host[:port]/path   an HTTP check (the default for URLs)
  host:port                    a TCP connect check, or a TLS check with --type tls
  name                         a DNS check (--record, --dns-server))";

const char kFooter[] = R"(Exit status (Nagios / Mackerel check plugin convention):
  0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for bad arguments)
With --ip each every resolved address (at most 16, the same every run) is probed and the worst
status counts.
--server-name checks one backend, by its address in TARGET, for the public NAME.)";

checks::Severity worst(const std::vector<checks::CheckResult>& results) {
  if (results.empty()) return checks::Severity::kUnknown;
  auto out = checks::Severity::kOk;
  for (const auto& r : results) out = std::max(out, r.failure.severity);
  return out;
}

// Every follow-up for every probed address, at once; each result gets what its diagnosis found.
void diagnose(uv_loop_t* loop, checks::CheckEnv env, const config::MonitorConfig& m, std::chrono::milliseconds timeout,
              std::vector<checks::CheckResult>& results) {
  std::vector<std::unique_ptr<diagnostics::Diagnosis>> running;
  std::size_t pending = 0;
  for (auto& r : results) {
    auto plan = diagnostics::plan_for(m, r, true);
    if (plan.empty()) continue;
    running.push_back(
        std::make_unique<diagnostics::Diagnosis>(loop, env, m, r, plan, diagnostics::DiagnosisLimits{timeout}));
    ++pending;
    running.back()->start([&r, &pending](std::vector<checks::Diagnostic> found) {
      r.diagnostics = std::move(found);
      --pending;
    });
  }
  while (pending > 0 && uv_run(loop, UV_RUN_ONCE) != 0) {
  }
}

int run_check(CheckArguments& a) {
  auto& m = a.monitor;
  m.target = a.target;
  if (m.name.empty()) m.name = a.target;
  if (!a.type_given) {
    if (a.target.find("://") != std::string::npos)
      m.type = config::CheckType::kHttp;
    else if (a.target.find(':') != std::string::npos)
      m.type = config::CheckType::kTcp;
    else
      m.type = config::CheckType::kDns;
  }
  std::vector<checks::CheckResult> results;
  {
    io::Loop loop;
    {
      io::CurlMultiDriver curl(loop.get());
      io::ResolverPool resolvers(loop.get());
      checks::TlsContexts tls;
      // As in the agent: a pause of this process (a laptop's sleep, a stopped job) is told apart
      // from the target's time, and the deadline gives it back.
      scheduler::UvClock clock(loop.get());
      scheduler::UvTimerFactory timers(loop.get());
      scheduler::HoldUpWatch hold_ups(clock, timers);
      checks::CheckEnv env{curl, resolvers, tls, nullptr, &hold_ups};
      auto made = checks::make_check(env, m);
      if (auto* error = std::get_if<std::string>(&made)) {
        std::fprintf(stderr, "prober check: %s\n", error->c_str());
        return 3;
      }
      auto check = std::move(std::get<std::unique_ptr<checks::Check>>(made));
      scheduler::OneShotRunner runner(loop.get(), &hold_ups);
      runner.run(*check, m.timeout, [&](std::vector<checks::CheckResult> r) { results = std::move(r); });
      // Run until the check reports; handles are closed below, then the loop drains.
      while (results.empty() && uv_run(loop.get(), UV_RUN_ONCE) != 0) {
      }
      if (a.diagnose) diagnose(loop.get(), env, m, a.diagnose_timeout, results);
    }
    if (loop.close() != 0) std::fprintf(stderr, "prober check: event loop did not close cleanly\n");
  }

  if (a.json) {
    for (const auto& r : results) std::cout << checks::result_line(r) << "\n";
  } else {
    print_human(stdout, results, !a.no_colour && isatty(STDOUT_FILENO));
  }
  std::cout.flush();
  return static_cast<int>(worst(results));
}

}  // namespace

Command add_check_command(CLI::App& root) {
  auto arguments = std::make_shared<CheckArguments>();
  CLI::App* app = root.add_subcommand("check", "run one DNS, TCP, TLS or HTTP check now and explain it");
  app->footer(std::string(kDescription) + "\n\n" + kFooter);
  add_check_options(app, *arguments);
  return Command{app, [arguments] { return run_check(*arguments); }, 3};
}

}  // namespace prober::cli
