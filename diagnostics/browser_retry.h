#pragma once
// The HTTP follow-up: the same request once more with a browser's User-Agent, Accept and
// Accept-Language. A bot wall (a WAF, a CDN's bot rule) answers a browser differently from a
// monitor; a broken origin answers both alike.
#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>

#include "checks/check.h"
#include "checks/check_env.h"
#include "config/monitor_config.h"
#include "diagnostics/step.h"
#include "io/uv_timer.h"
#include "scheduler/one_shot_runner.h"

namespace prober::diagnostics {

// The monitor with a browser's headers in place of its own User-Agent and Accept headers.
config::MonitorConfig as_browser(const config::MonitorConfig& monitor);
// The conclusion from both results: pure, for the tests.
checks::Diagnostic summarize_browser_retry(const checks::CheckResult& check, const checks::CheckResult& browser);

class BrowserRetry final : public Step {
 public:
  BrowserRetry(uv_loop_t* loop, checks::CheckEnv env, const config::MonitorConfig& monitor,
               checks::CheckResult original, std::chrono::milliseconds wait);
  void start(Done done) override;
  checks::Diagnostic cut_short() override;

 private:
  uv_loop_t* loop_;
  checks::CheckEnv env_;
  config::MonitorConfig monitor_;
  checks::CheckResult original_;
  std::chrono::milliseconds wait_;
  std::unique_ptr<checks::Check> check_;
  std::unique_ptr<scheduler::OneShotRunner> runner_;
  std::optional<checks::CheckResult> browser_;
  Done done_;
  io::UvTimer report_;  // from the loop: a check may finish inside its own start()
};

}  // namespace prober::diagnostics
