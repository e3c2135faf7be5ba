// prober: external (synthetic) monitoring agent. Entry point: the command line (prober/cli.h)
// and the libraries' global state.
#include <ares.h>
#include <curl/curl.h>

#include <csignal>
#include <cstdio>
#include <vector>

#include "prober/check_command.h"
#include "prober/cli.h"
#include "prober/healthcheck_command.h"
#include "prober/run_command.h"

namespace {

const char kFooter[] = R"(Exit status of 'check': 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
'prober SUBCOMMAND --help' lists its options. Documentation: README.md and docs/ in the source tree.)";

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

int run(int argc, char** argv) {
  CLI::App root("prober " PROBER_VERSION_STRING
                " - is my site reachable from the outside, how fast, and if not, exactly why?",
                "prober");
  prober::cli::use_wrapping_help(root);
  root.footer(kFooter);
  root.require_subcommand(0, 1);
  bool version = false;
  root.add_flag("--version", version, "print the version");
  std::vector<prober::cli::Command> commands{prober::cli::add_check_command(root), prober::cli::add_run_command(root),
                                             prober::cli::add_validate_command(root),
                                             prober::cli::add_healthcheck_command(root)};
  CLI::App* help = root.add_subcommand("help", "this text");
  CLI::App* version_command = root.add_subcommand("version", "print the version");
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return prober::cli::finish_parse_error(root, commands, error);
  }
  if (version || version_command->parsed()) {
    std::printf("prober %s (%s)\n", PROBER_VERSION_STRING, curl_version());
    return 0;
  }
  for (auto& command : commands) {
    if (!command.app->parsed()) continue;
    // A peer that closed its socket must cost one failed write, never the process: libuv
    // writes to streams with write(2), which raises SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    GlobalLibraries libraries;
    return command.run();
  }
  std::fputs(prober::cli::root_help(root).c_str(), stdout);
  return help->parsed() ? 0 : 3;  // no subcommand: the usage, and UNKNOWN
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {  // what no command caught: a clear line, never an abort
    std::fprintf(stderr, "prober: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "prober: an unexpected error\n");
  }
  return 3;
}
