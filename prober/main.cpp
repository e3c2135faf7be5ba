// prober: external (synthetic) monitoring agent. Entry point and sub-command dispatch.
#include <ares.h>
#include <curl/curl.h>

#include <csignal>
#include <cstdio>
#include <cstring>

#include "prober/check_command.h"
#include "prober/healthcheck_command.h"
#include "prober/run_command.h"

namespace {

const char kHelp[] =
    R"(prober )" PROBER_VERSION_STRING R"( - is my site reachable from the outside, how fast, and if not, exactly why?

Usage:
  prober check TARGET [options]   run one DNS, TCP, TLS or HTTP check now and explain it
  prober run --config FILE        the agent: monitors on schedule, /metrics, /probe, reload
  prober validate --config FILE   print every error of a configuration; exit 1 if any
  prober healthcheck [URL]        exit 0 if the agent's /healthz answers 200 (container HEALTHCHECK)
  prober --version                print the version
  prober help | --help            this text; 'prober check --help' lists the check options

Exit status of 'check': 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
'prober run --help' describes the agent. Documentation: README.md and docs/ in the source tree.
)";

// Library-wide state, set up before and torn down after everything else.
struct GlobalLibraries {
  GlobalLibraries() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ares_library_init(ARES_LIB_INIT_ALL);
  }
  ~GlobalLibraries() {
    ares_library_cleanup();
    curl_global_cleanup();
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kHelp, stdout);
    return argc < 2 ? 3 : 0;
  }
  if (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "version")) {
    std::printf("prober %s (%s)\n", PROBER_VERSION_STRING, curl_version());
    return 0;
  }
  // A peer that closed its socket must cost one failed write, never the process: libuv writes
  // to streams with write(2), which raises SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  GlobalLibraries libraries;
  if (!std::strcmp(argv[1], "check")) return prober::cli::check_command(argc - 1, argv + 1);
  if (!std::strcmp(argv[1], "run")) return prober::cli::run_command(argc - 1, argv + 1);
  if (!std::strcmp(argv[1], "validate")) return prober::cli::validate_command(argc - 1, argv + 1);
  if (!std::strcmp(argv[1], "healthcheck")) return prober::cli::healthcheck_command(argc - 1, argv + 1);
  std::fprintf(stderr, "prober: unknown command '%s' (see prober --help)\n", argv[1]);
  return 3;
}
