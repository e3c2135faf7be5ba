#pragma once
// Structured logs on stderr: "ts=... level=info msg=..." or one JSON object per line. Callers
// never pass secrets here; values are quoted as needed.
#include <string>
#include <utility>
#include <vector>

namespace prober::cli {

using LogFields = std::vector<std::pair<std::string, std::string>>;

class Log {
 public:
  enum class Format { kText, kJson };
  static void set_format(Format f);
  static void info(const std::string& message, const LogFields& fields = {});
  static void warn(const std::string& message, const LogFields& fields = {});
  static void error(const std::string& message, const LogFields& fields = {});

 private:
  static void write(const char* level, const std::string& message, const LogFields& fields);
};

}  // namespace prober::cli
