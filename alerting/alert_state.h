#pragma once
// Per-monitor soft/hard state, as Nagios and Mackerel's maxCheckAttempts have it: a non-ok
// severity becomes hard after max_check_attempts consecutive non-ok results; a hard non-ok
// state recovers after recovery_attempts consecutive OKs. Once hard and non-ok, a change of
// severity is a hard change at once (Nagios); a change of class only when the new class has
// held for max_check_attempts results, so a target flapping between two failure modes does
// not churn alerts. Pure logic: time comes in with each result.
#include <chrono>
#include <optional>

#include "checks/failure.h"

namespace prober::alerting {

using TimePoint = std::chrono::system_clock::time_point;

struct AlertPolicy {
  int max_check_attempts = 3;
  int recovery_attempts = 1;
};

// A hard transition: the event alerts are made of.
struct HardTransition {
  checks::Severity from = checks::Severity::kOk;
  checks::Severity to = checks::Severity::kOk;
  checks::FailureClass from_class = checks::FailureClass::kOk;
  checks::FailureClass to_class = checks::FailureClass::kOk;
  TimePoint at;
};

class MonitorAlertState {
 public:
  explicit MonitorAlertState(AlertPolicy policy) : policy_(policy) {}

  // One run's outcome (the worst of its results). Returns the hard transition it caused.
  std::optional<HardTransition> observe(checks::Severity severity, checks::FailureClass failure_class, TimePoint at);

  checks::Severity hard_severity() const { return hard_severity_; }
  checks::FailureClass hard_class() const { return hard_class_; }
  TimePoint hard_since() const { return hard_since_; }
  // Non-ok results seen while the hard state is still OK (a soft state), or OKs while the hard
  // state is not yet recovered.
  bool soft() const { return failures_ > 0 || recoveries_ > 0; }

 private:
  HardTransition become(checks::Severity s, checks::FailureClass c, TimePoint at);

  AlertPolicy policy_;
  checks::Severity hard_severity_ = checks::Severity::kOk;
  checks::FailureClass hard_class_ = checks::FailureClass::kOk;
  TimePoint hard_since_{};
  int failures_ = 0;    // consecutive non-ok results
  int recoveries_ = 0;  // consecutive OKs while hard non-ok
  checks::FailureClass streak_class_ = checks::FailureClass::kOk;
  int streak_ = 0;  // consecutive results of streak_class_
};

}  // namespace prober::alerting
