#pragma once
// Reads one JSON object field by field, remembering the JSON pointer of each value and
// collecting every error instead of stopping at the first. finish() reports unknown keys.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"

namespace prober::config {

class JsonReader {
 public:
  JsonReader(const nlohmann::json& object, std::string pointer, std::vector<ConfigError>& errors);

  bool ok() const { return is_object_; }
  bool has(const std::string& key) const;
  std::string pointer(const std::string& key) const;  // of a member
  const std::string& pointer() const { return pointer_; }
  const nlohmann::json* raw(const std::string& key);  // marks the key as known
  void error(const std::string& key, const std::string& message);
  void add(ConfigError error) { errors_->push_back(std::move(error)); }

  std::optional<std::string> string(const std::string& key);
  std::optional<bool> boolean(const std::string& key);
  std::optional<int> integer(const std::string& key, int low, int high);
  std::optional<double> number(const std::string& key, double low, double high);
  // A duration string from 1ms to `max`: every duration is bounded where it enters, so none
  // overflows the int or long of milliseconds a C library takes.
  std::optional<std::chrono::milliseconds> duration(const std::string& key,
                                                    std::chrono::milliseconds max = std::chrono::hours(24));
  // A size string ("64KiB") or a plain number of bytes, from 1 to `max`.
  std::optional<std::uint64_t> size(const std::string& key, std::uint64_t max = std::uint64_t{1} << 40);
  std::optional<std::vector<std::string>> strings(const std::string& key);
  std::optional<std::map<std::string, std::string>> string_map(const std::string& key);
  // A nested object; nullopt (with an error) when present but not an object.
  std::optional<JsonReader> object(const std::string& key);
  // One of `choices`, else an error that lists them.
  std::optional<std::string> choice(const std::string& key, const std::vector<std::string>& choices);

  void finish();

 private:
  const nlohmann::json& object_;
  std::string pointer_;
  std::vector<ConfigError>* errors_;
  std::set<std::string> known_;
  bool is_object_;
};

// Adds an error at `pointer` when RE2 rejects `pattern` (patterns are compiled at load).
void check_re2_pattern(const std::string& pointer, const std::string& pattern, std::vector<ConfigError>& errors);

// Escapes a key for use in a JSON pointer (RFC 6901).
std::string pointer_escape(const std::string& key);
std::string json_type(const nlohmann::json& value);

}  // namespace prober::config
