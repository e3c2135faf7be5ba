#pragma once
// Turns a classified result into one line a person understands, plus hints — above all the
// ones that explain why a browser may succeed where this probe failed.
#include <vector>

#include "checks/check_result.h"

namespace prober::checks {

// Fills `message` and `hints` of every result of one run; compares the results of the probed
// addresses with each other (one family or one backend failing while others work).
void explain(std::vector<CheckResult>& results);

}  // namespace prober::checks
