#pragma once
// The rows of the explanation table (checks/explain.cpp): how a result of each class is worded.
#include <span>
#include <string>

#include "checks/check_result.h"
#include "checks/explain_phrases.h"

namespace prober::checks {

// Words one result: its message, and hints (above all why a browser may pass where this failed).
using Explainer = void (*)(const CheckResult& r, std::string& m, phrases::Hints& hints);

struct Explanation {
  FailureClass failure_class;
  Explainer explain;
};

// The HTTP exchange and what the monitor expects of it (checks/explain_http.cpp).
std::span<const Explanation> http_explanations();

}  // namespace prober::checks
