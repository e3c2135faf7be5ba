#pragma once
// The one way prober reads its command line: every subcommand declares its options on a CLI11
// App (which generates its --help), and a usage error reads the same for each of them:
// "prober SUB: what is wrong (see prober SUB --help)", with the subcommand's exit code.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace prober::cli {

struct Command {
  CLI::App* app;             // owned by the root App
  std::function<int()> run;  // after a successful parse
  int usage_exit_code;       // check: 3 (UNKNOWN, the plugin convention); the others: 2
};

// Help text wrapped to 100 columns; call before adding subcommands (they inherit it).
void use_wrapping_help(CLI::App& root);

// An option whose text is converted by `apply`, which returns why the text is wrong ("" when it
// is right); the option's name is put before that reason.
CLI::Option* add_converted(CLI::App* app, const std::string& names, const std::string& type_name,
                           const std::string& help, std::function<std::string(const std::string&)> apply);
// The same for an option that may be given many times; `apply` sees each value in order.
CLI::Option* add_repeated(CLI::App* app, const std::string& names, const std::string& type_name,
                          const std::string& help, std::function<std::string(const std::string&)> apply);

// The root's own help, whichever subcommand was chosen.
std::string root_help(const CLI::App& root);

// Prints the help for --help (exit 0) or the usage error; returns the exit code.
int finish_parse_error(const CLI::App& root, const std::vector<Command>& commands, const CLI::ParseError& error);

}  // namespace prober::cli
