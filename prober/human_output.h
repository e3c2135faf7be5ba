#pragma once
// The human-readable block per probed address that `prober check` prints.
#include <cstdio>
#include <vector>

#include "checks/check_result.h"

namespace prober::cli {

void print_human(std::FILE* out, const std::vector<checks::CheckResult>& results, bool colour);

}  // namespace prober::cli
