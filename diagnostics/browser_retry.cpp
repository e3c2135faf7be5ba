#include "diagnostics/browser_retry.h"

#include <algorithm>
#include <string>

#include "checks/make_check.h"
#include "checks/text.h"

namespace prober::diagnostics {
namespace {

// Chrome on Linux, as of late 2026: what a bot rule sees from a real browser.
const std::pair<const char*, const char*> kBrowserHeaders[] = {
    {"User-Agent",
     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"},
    {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"},
    {"Accept-Language", "en-US,en;q=0.9"},
};

// "HTTP 403 (http_status)", "ok (HTTP 200)", "tcp_timeout".
std::string outcome(const checks::CheckResult& r) {
  std::string status = r.http.status ? "HTTP " + std::to_string(*r.http.status) : "";
  if (r.failure.failure_class == checks::FailureClass::kOk) return "ok" + (status.empty() ? "" : " (" + status + ")");
  std::string name(to_string(r.failure.failure_class));
  return status.empty() ? name : status + " (" + name + ")";
}

}  // namespace

config::MonitorConfig as_browser(const config::MonitorConfig& monitor) {
  config::MonitorConfig browser = monitor;
  auto& headers = browser.request.edit().headers;
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [](const auto& h) {
                                 for (const auto& [name, value] : kBrowserHeaders) {
                                   if (checks::iequals(h.first, name)) return true;
                                 }
                                 return false;
                               }),
                headers.end());
  for (const auto& [name, value] : kBrowserHeaders) headers.emplace_back(name, value);
  return browser;
}

checks::Diagnostic summarize_browser_retry(const checks::CheckResult& check, const checks::CheckResult& browser) {
  checks::Diagnostic d{"http", "", {}};
  d.details.push_back("as the monitor: " + outcome(check));
  d.details.push_back("with a browser's User-Agent, Accept and Accept-Language: " + outcome(browser) +
                      (browser.message.empty() ? "" : " — " + browser.message));
  bool check_ok = check.failure.failure_class == checks::FailureClass::kOk;
  bool browser_ok = browser.failure.failure_class == checks::FailureClass::kOk;
  if (!check_ok && browser_ok) {
    d.summary = "a browser's headers get " + outcome(browser) + " where the monitor gets " + outcome(check) +
                ": the server, or a bot wall in front of it (WAF, CDN bot rule), answers monitoring clients "
                "differently; browsers are served";
  } else if (check_ok && !browser_ok) {
    d.summary = "the monitor is served but a browser's headers get " + outcome(browser) +
                ": browsers are answered differently (a bot rule, content negotiation)";
  } else if (outcome(check) == outcome(browser)) {
    bool answered = check.failure.phase == checks::Phase::kHttp;  // an HTTP answer, not a connection failure
    d.summary = "a browser's headers get the same answer, " + outcome(browser) +
                (check_ok || !answered ? "" : ": the origin itself fails, not a filter on monitoring clients");
  } else {
    d.summary = "a browser's headers get " + outcome(browser) + " where the monitor gets " + outcome(check) +
                ": the server answers them differently";
  }
  return d;
}

BrowserRetry::BrowserRetry(uv_loop_t* loop, checks::CheckEnv env, const config::MonitorConfig& monitor,
                           checks::CheckResult original, std::chrono::milliseconds wait)
    : loop_(loop),
      env_(env),
      monitor_(as_browser(monitor)),
      original_(std::move(original)),
      wait_(wait),
      report_(loop) {
  monitor_.ip_version = original_.ip_version == 6   ? config::IpVersion::kV6
                        : original_.ip_version == 4 ? config::IpVersion::kV4
                                                    : monitor_.ip_version;
}

void BrowserRetry::start(Done done) {
  done_ = std::move(done);
  auto made = checks::make_check(env_, monitor_);
  if (auto* error = std::get_if<std::string>(&made)) {
    checks::Diagnostic d{"http", "the retry with a browser's headers could not run: " + *error, {}};
    report_.start(0, 0, [this, d] {
      auto done_now = std::move(done_);
      if (done_now) done_now(d);
    });
    return;
  }
  check_ = std::move(std::get<std::unique_ptr<checks::Check>>(made));
  runner_ = std::make_unique<scheduler::OneShotRunner>(loop_);
  runner_->run(*check_, wait_, [this](std::vector<checks::CheckResult> results) {
    if (results.empty()) return;
    browser_ = std::move(results.front());
    report_.start(0, 0, [this] {
      auto done_now = std::move(done_);
      if (done_now) done_now(summarize_browser_retry(original_, *browser_));
    });
  });
}

checks::Diagnostic BrowserRetry::cut_short() {
  done_ = nullptr;
  report_.stop();
  runner_.reset();
  if (browser_) return summarize_browser_retry(original_, *browser_);
  return {"http", "cut short at the deadline: the retry with a browser's headers had not finished", {}};
}

}  // namespace prober::diagnostics
