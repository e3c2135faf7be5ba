#pragma once
// `prober run --config FILE` and `prober validate --config FILE`.
namespace prober::cli {

int run_command(int argc, char** argv);       // argv[0] is "run"
int validate_command(int argc, char** argv);  // argv[0] is "validate"
extern const char kRunHelp[];

}  // namespace prober::cli
