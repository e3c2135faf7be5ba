#pragma once
// `prober healthcheck [URL]`: the container's HEALTHCHECK (the runtime image has no curl binary).
#include "prober/cli.h"

namespace prober::cli {

Command add_healthcheck_command(CLI::App& root);

}  // namespace prober::cli
