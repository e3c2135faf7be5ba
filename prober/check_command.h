#pragma once
// `prober check TARGET [options]`: one check now, explained; Nagios/Mackerel plugin exit codes.
#include "prober/cli.h"

namespace prober::cli {

Command add_check_command(CLI::App& root);

}  // namespace prober::cli
