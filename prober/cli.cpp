#include "prober/cli.h"

#include <cstdio>

namespace prober::cli {
namespace {

std::string first_name(const std::string& names) {
  std::string longest;
  std::size_t start = 0;
  while (start <= names.size()) {
    std::size_t comma = names.find(',', start);
    std::string name = names.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name.size() > longest.size()) longest = name;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return longest;
}

// Option descriptions wrapped to fit 100 columns beside the 34-column names.
class WrappingFormatter : public CLI::Formatter {
 public:
  std::string make_option_desc(const CLI::Option* option) const override {
    std::string text = CLI::Formatter::make_option_desc(option);
    std::string out;
    std::size_t line = 0;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t space = text.find(' ', start);
      std::string word = text.substr(start, space == std::string::npos ? std::string::npos : space - start);
      if (line > 0 && line + 1 + word.size() > kDescriptionWidth) {
        out += '\n';
        line = 0;
      } else if (line > 0) {
        out += ' ';
        ++line;
      }
      out += word;
      line += word.size();
      if (space == std::string::npos) break;
      start = space + 1;
    }
    return out;
  }
  static constexpr std::size_t kNameWidth = 34;
  static constexpr std::size_t kDescriptionWidth = 100 - kNameWidth;
};

}  // namespace

void use_wrapping_help(CLI::App& root) {
  auto formatter = std::make_shared<WrappingFormatter>();
  formatter->column_width(WrappingFormatter::kNameWidth);
  root.formatter(formatter);
}

CLI::Option* add_converted(CLI::App* app, const std::string& names, const std::string& type_name,
                           const std::string& help, std::function<std::string(const std::string&)> apply) {
  std::string name = first_name(names);
  return app
      ->add_option_function<std::string>(
          names,
          [name, apply = std::move(apply)](const std::string& value) {
            if (std::string why = apply(value); !why.empty()) throw CLI::ValidationError(name, why);
          },
          help)
      ->type_name(type_name);
}

CLI::Option* add_repeated(CLI::App* app, const std::string& names, const std::string& type_name,
                          const std::string& help, std::function<std::string(const std::string&)> apply) {
  std::string name = first_name(names);
  return app
      ->add_option_function<std::vector<std::string>>(
          names,
          [name, apply = std::move(apply)](const std::vector<std::string>& values) {
            for (const auto& value : values) {
              if (std::string why = apply(value); !why.empty()) throw CLI::ValidationError(name, why);
            }
          },
          help)
      ->type_name(type_name)
      ->take_all();
}

std::string root_help(const CLI::App& root) {
  return root.get_formatter()->make_help(&root, root.get_name(), CLI::AppFormatMode::Normal);
}

int finish_parse_error(const CLI::App& root, const std::vector<Command>& commands, const CLI::ParseError& error) {
  const Command* chosen = nullptr;
  for (const auto& command : commands) {
    if (command.app->parsed()) chosen = &command;
  }
  if (dynamic_cast<const CLI::CallForHelp*>(&error) || dynamic_cast<const CLI::CallForAllHelp*>(&error)) {
    std::fputs((chosen ? chosen->app->help(root.get_name()) : root_help(root)).c_str(), stdout);
    return 0;
  }
  std::string where = chosen ? "prober " + chosen->app->get_name() : "prober";
  std::string what = error.what();
  if (!chosen && dynamic_cast<const CLI::ExtrasError*>(&error)) what = "unknown command or option";
  std::fprintf(stderr, "%s: %s (see %s --help)\n", where.c_str(), what.c_str(), where.c_str());
  return chosen ? chosen->usage_exit_code : 3;
}

}  // namespace prober::cli
