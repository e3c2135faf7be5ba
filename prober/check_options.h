#pragma once
// The options of `prober check`, declared on its CLI11 App: what they set in a MonitorConfig
// (the one `prober check` runs), with the checks each value gets.
#include <chrono>
#include <string>

#include "config/monitor_config.h"
#include "prober/cli.h"

namespace prober::cli {

struct CheckArguments {
  config::MonitorConfig monitor;
  std::string target;
  bool json = false;
  bool no_colour = false;
  bool type_given = false;
  bool diagnose = false;  // --diagnose: every follow-up, after the result
  std::chrono::milliseconds diagnose_timeout{10000};
};

void add_check_options(CLI::App* app, CheckArguments& a);

}  // namespace prober::cli
