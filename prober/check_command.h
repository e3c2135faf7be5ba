#pragma once
// `prober check TARGET [flags]`: one check now, explained; Nagios/Mackerel plugin exit codes.
namespace prober::cli {

int check_command(int argc, char** argv);  // argv[0] is "check"
extern const char kCheckHelp[];

}  // namespace prober::cli
