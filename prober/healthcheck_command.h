#pragma once

namespace prober::cli {

// `prober healthcheck [URL]`: exit 0 when URL (default http://127.0.0.1:9465/healthz) answers
// 200 within 5 s, else 1. The container's HEALTHCHECK: the runtime image has no curl binary.
int healthcheck_command(int argc, char** argv);

}  // namespace prober::cli
