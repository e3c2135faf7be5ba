#include "prober/log.h"

#include <nlohmann/json.hpp>

#include "checks/check_result_json.h"

#include <chrono>
#include <cstdio>

namespace prober::cli {
namespace {

Log::Format g_format = Log::Format::kText;

std::string timestamp() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
  return checks::iso8601(ms / 1000, static_cast<int>(ms % 1000));
}

std::string quoted(const std::string& v) {
  if (!v.empty() && v.find_first_of(" \"=\n") == std::string::npos) return v;
  return checks::json_text(nlohmann::json(v));
}

}  // namespace

void Log::set_format(Format f) { g_format = f; }
void Log::info(const std::string& m, const LogFields& f) { write("info", m, f); }
void Log::warn(const std::string& m, const LogFields& f) { write("warn", m, f); }
void Log::error(const std::string& m, const LogFields& f) { write("error", m, f); }

void Log::write(const char* level, const std::string& message, const LogFields& fields) {
  std::string line;
  if (g_format == Format::kJson) {
    nlohmann::json j = {{"ts", timestamp()}, {"level", level}, {"msg", message}};
    for (const auto& [k, v] : fields) j[k] = v;
    line = checks::json_text(j);
  } else {
    line = "ts=" + timestamp() + " level=" + level + " msg=" + quoted(message);
    for (const auto& [k, v] : fields) line += " " + k + "=" + quoted(v);
  }
  line += "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace prober::cli
