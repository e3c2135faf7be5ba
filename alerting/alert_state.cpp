#include "alerting/alert_state.h"

namespace prober::alerting {

using checks::FailureClass;
using checks::Severity;

HardTransition MonitorAlertState::become(Severity s, FailureClass c, TimePoint at) {
  HardTransition t{hard_severity_, s, hard_class_, c, at};
  hard_severity_ = s;
  hard_class_ = c;
  hard_since_ = at;
  return t;
}

std::optional<HardTransition> MonitorAlertState::observe(Severity severity, FailureClass failure_class, TimePoint at) {
  streak_ = failure_class == streak_class_ ? streak_ + 1 : 1;
  streak_class_ = failure_class;
  if (severity == Severity::kOk) {
    failures_ = 0;
    if (hard_severity_ == Severity::kOk) return std::nullopt;
    if (++recoveries_ < policy_.recovery_attempts) return std::nullopt;
    recoveries_ = 0;
    return become(Severity::kOk, FailureClass::kOk, at);
  }
  recoveries_ = 0;
  ++failures_;
  if (hard_severity_ == Severity::kOk) {
    if (failures_ < policy_.max_check_attempts) return std::nullopt;
    return become(severity, failure_class, at);
  }
  if (severity != hard_severity_) return become(severity, failure_class, at);
  if (failure_class != hard_class_ && streak_ >= policy_.max_check_attempts) return become(severity, failure_class, at);
  return std::nullopt;
}

}  // namespace prober::alerting
