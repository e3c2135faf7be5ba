#pragma once
// `prober run --config FILE` (the agent) and `prober validate --config FILE`.
#include "prober/cli.h"

namespace prober::cli {

Command add_run_command(CLI::App& root);
Command add_validate_command(CLI::App& root);

}  // namespace prober::cli
