#include <doctest/doctest.h>

#include "alerting/alert_state.h"
#include "alerting/vantage_health.h"

using namespace prober::alerting;
using prober::checks::CheckResult;
using prober::checks::FailureClass;
using prober::checks::Severity;

namespace {

TimePoint at(int s) { return TimePoint{} + std::chrono::seconds(s); }

CheckResult result(Severity s, FailureClass c) {
  CheckResult r;
  r.failure.severity = s;
  r.failure.failure_class = c;
  r.message = "m";
  return r;
}

}  // namespace

TEST_CASE("a failure becomes hard after max_check_attempts consecutive non-ok results") {
  MonitorAlertState s({3, 1});
  CHECK(!s.observe(Severity::kCritical, FailureClass::kTcpTimeout, at(0)));
  CHECK(s.soft());
  CHECK(!s.observe(Severity::kCritical, FailureClass::kTcpTimeout, at(10)));
  auto t = s.observe(Severity::kCritical, FailureClass::kTcpTimeout, at(20));
  REQUIRE(t);
  CHECK(t->from == Severity::kOk);
  CHECK(t->to == Severity::kCritical);
  CHECK(t->to_class == FailureClass::kTcpTimeout);
  CHECK(t->at == at(20));
  CHECK(s.hard_severity() == Severity::kCritical);
  CHECK(!s.observe(Severity::kCritical, FailureClass::kTcpTimeout, at(30)));  // no repeated event
}

TEST_CASE("an OK in between starts the count again") {
  MonitorAlertState s({2, 1});
  CHECK(!s.observe(Severity::kCritical, FailureClass::kTcpTimeout, at(0)));
  CHECK(!s.observe(Severity::kOk, FailureClass::kOk, at(1)));
  CHECK(!s.soft());
  CHECK(!s.observe(Severity::kCritical, FailureClass::kTcpTimeout, at(2)));
  CHECK(s.observe(Severity::kCritical, FailureClass::kTcpTimeout, at(3)));
}

TEST_CASE("recovery after recovery_attempts consecutive OKs") {
  MonitorAlertState s({1, 2});
  REQUIRE(s.observe(Severity::kCritical, FailureClass::kHttpStatus, at(0)));
  CHECK(!s.observe(Severity::kOk, FailureClass::kOk, at(1)));
  CHECK(!s.observe(Severity::kCritical, FailureClass::kHttpStatus, at(2)));  // resets the recovery count
  CHECK(!s.observe(Severity::kOk, FailureClass::kOk, at(3)));
  auto t = s.observe(Severity::kOk, FailureClass::kOk, at(4));
  REQUIRE(t);
  CHECK(t->from == Severity::kCritical);
  CHECK(t->from_class == FailureClass::kHttpStatus);
  CHECK(t->to == Severity::kOk);
  CHECK(s.hard_since() == at(4));
}

TEST_CASE("once hard, a severity change is a hard change at once; a class change only once it holds") {
  MonitorAlertState s({3, 1});
  for (int i = 0; i < 3; ++i) s.observe(Severity::kWarning, FailureClass::kHttpSlow, at(i));
  REQUIRE(s.hard_severity() == Severity::kWarning);
  auto t = s.observe(Severity::kCritical, FailureClass::kHttpStatus, at(3));
  REQUIRE(t);
  CHECK(t->from == Severity::kWarning);
  CHECK(t->to == Severity::kCritical);
  // tcp_refused flapping with http_status: no churn
  CHECK(!s.observe(Severity::kCritical, FailureClass::kTcpRefused, at(4)));
  CHECK(!s.observe(Severity::kCritical, FailureClass::kHttpStatus, at(5)));
  CHECK(!s.observe(Severity::kCritical, FailureClass::kTcpRefused, at(6)));
  CHECK(!s.observe(Severity::kCritical, FailureClass::kTcpRefused, at(7)));
  auto moved = s.observe(Severity::kCritical, FailureClass::kTcpRefused, at(8));
  REQUIRE(moved);
  CHECK(moved->from_class == FailureClass::kHttpStatus);
  CHECK(moved->to_class == FailureClass::kTcpRefused);
}

TEST_CASE("vantage health: unhealthy when more than half of the control checks fail") {
  VantageHealth h({"ctl-a", "ctl-b", "ctl-c"});
  CHECK(h.healthy());
  CHECK(h.is_control("ctl-a"));
  CHECK(!h.is_control("shop"));
  CHECK(!h.observe_control("ctl-a", {result(Severity::kCritical, FailureClass::kDnsTimeout)}));
  CHECK(h.healthy());  // 1 of 3
  CHECK(h.observe_control("ctl-b", {result(Severity::kCritical, FailureClass::kTcpTimeout)}));
  CHECK(!h.healthy());                                                                        // 2 of 3
  CHECK(!h.observe_control("ctl-c", {result(Severity::kWarning, FailureClass::kHttpSlow)}));  // a warning passes
  CHECK(h.observe_control("ctl-a", {result(Severity::kOk, FailureClass::kOk)}));
  CHECK(h.healthy());
  CHECK(!h.observe_control("shop", {result(Severity::kCritical, FailureClass::kTcpTimeout)}));  // not a control check
}

TEST_CASE("an unhealthy vantage turns every other result into unknown/vantage_unhealthy, keeping the class") {
  VantageHealth h({"ctl"});
  std::vector<CheckResult> results{result(Severity::kCritical, FailureClass::kTcpTimeout),
                                   result(Severity::kOk, FailureClass::kOk)};
  h.apply(results);
  CHECK(results[0].failure.failure_class == FailureClass::kTcpTimeout);  // healthy: untouched
  h.observe_control("ctl", {result(Severity::kUnknown, FailureClass::kInternalError)});
  h.apply(results);
  CHECK(results[0].failure.failure_class == FailureClass::kVantageUnhealthy);
  CHECK(results[0].failure.severity == Severity::kUnknown);
  CHECK(results[0].underlying_class == FailureClass::kTcpTimeout);
  CHECK(results[1].underlying_class == FailureClass::kOk);
  CHECK(results[0].message.find("1 of 1 control checks failing") != std::string::npos);
}

TEST_CASE("without control checks the vantage is always healthy") {
  VantageHealth h;
  CHECK(h.healthy());
  CHECK(h.control_count() == 0);
}
