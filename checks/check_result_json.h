#pragma once
// CheckResult as the JSON object of shared/DESIGN.md §5 (JSONL line, webhook item, --json).
#include <nlohmann/json.hpp>

#include "checks/check_result.h"

namespace prober::checks {

nlohmann::json to_json(const CheckResult& result);
nlohmann::json to_json(const CertInfo& cert);

}  // namespace prober::checks
