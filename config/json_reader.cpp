#include "config/json_reader.h"

#include <re2/re2.h>

#include "config/units.h"

namespace prober::config {

std::string pointer_escape(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

void check_re2_pattern(const std::string& pointer, const std::string& pattern, std::vector<ConfigError>& errors) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  re2::RE2 regex(pattern, options);
  if (!regex.ok()) errors.push_back({pointer, "invalid RE2 pattern: " + regex.error()});
}

std::string json_type(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

std::string to_string(const ConfigError& e) { return (e.pointer.empty() ? "/" : e.pointer) + ": " + e.message; }

JsonReader::JsonReader(const nlohmann::json& object, std::string pointer, std::vector<ConfigError>& errors)
    : object_(object), pointer_(std::move(pointer)), errors_(&errors), is_object_(object.is_object()) {
  if (!is_object_) errors_->push_back({pointer_, "expected an object, got " + json_type(object)});
}

bool JsonReader::has(const std::string& key) const { return is_object_ && object_.contains(key); }
std::string JsonReader::pointer(const std::string& key) const { return pointer_ + "/" + pointer_escape(key); }
void JsonReader::error(const std::string& key, const std::string& message) {
  errors_->push_back({key.empty() ? pointer_ : pointer(key), message});
}

const nlohmann::json* JsonReader::raw(const std::string& key) {
  known_.insert(key);
  if (!has(key)) return nullptr;
  return &object_.at(key);
}

std::optional<std::string> JsonReader::string(const std::string& key) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(key, "expected a string, got " + json_type(*v));
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<bool> JsonReader::boolean(const std::string& key) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    error(key, "expected true or false, got " + json_type(*v));
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<int> JsonReader::integer(const std::string& key, int low, int high) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() || v->get<long long>() < low || v->get<long long>() > high) {
    error(key, "expected an integer from " + std::to_string(low) + " to " + std::to_string(high) + ", got " +
                   (v->is_number() ? v->dump() : json_type(*v)));
    return std::nullopt;
  }
  return static_cast<int>(v->get<long long>());
}

std::optional<double> JsonReader::number(const std::string& key, double low, double high) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_number() || v->get<double>() < low || v->get<double>() > high) {
    error(key, "expected a number from " + nlohmann::json(low).dump() + " to " + nlohmann::json(high).dump() +
                   ", got " + (v->is_number() ? v->dump() : json_type(*v)));
    return std::nullopt;
  }
  return v->get<double>();
}

std::optional<std::chrono::milliseconds> JsonReader::duration(const std::string& key, std::chrono::milliseconds max) {
  auto text = string(key);
  if (!text) return std::nullopt;
  auto d = parse_duration(*text);
  if (!d || d->count() <= 0) {
    error(key, "expected a duration such as \"500ms\", \"10s\", \"2m\", got \"" + *text + "\"");
    return std::nullopt;
  }
  if (*d > max) {
    error(key, "expected a duration of at most " + format_duration(max) + ", got \"" + *text + "\"");
    return std::nullopt;
  }
  return d;
}

std::optional<std::uint64_t> JsonReader::size(const std::string& key, std::uint64_t max) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  std::optional<std::uint64_t> s;
  std::string shown;
  if (v->is_number_unsigned() || (v->is_number_integer() && v->get<long long>() > 0)) {
    s = v->get<std::uint64_t>();  // a plain number of bytes
    shown = v->dump();
  } else if (v->is_string()) {
    s = parse_size(v->get<std::string>());
    shown = "\"" + v->get<std::string>() + "\"";
  } else {
    shown = v->is_number() ? v->dump() : json_type(*v);
  }
  if (!s || *s == 0) {
    error(key, "expected a size such as \"64KiB\" or \"10MiB\", or a number of bytes, got " + shown);
    return std::nullopt;
  }
  if (*s > max) {
    error(key, "expected a size of at most " + std::to_string(max) + " bytes, got " + shown);
    return std::nullopt;
  }
  return s;
}

std::optional<std::vector<std::string>> JsonReader::strings(const std::string& key) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    error(key, "expected an array of strings, got " + json_type(*v));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool good = true;
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      errors_->push_back({pointer(key) + "/" + std::to_string(i), "expected a string, got " + json_type((*v)[i])});
      good = false;
    } else {
      out.push_back((*v)[i].get<std::string>());
    }
  }
  return good ? std::optional(out) : std::nullopt;
}

std::optional<std::map<std::string, std::string>> JsonReader::string_map(const std::string& key) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    error(key, "expected an object of strings, got " + json_type(*v));
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  bool good = true;
  for (const auto& [k, value] : v->items()) {
    if (!value.is_string()) {
      errors_->push_back({pointer(key) + "/" + pointer_escape(k), "expected a string, got " + json_type(value)});
      good = false;
    } else {
      out[k] = value.get<std::string>();
    }
  }
  return good ? std::optional(out) : std::nullopt;
}

std::optional<JsonReader> JsonReader::object(const std::string& key) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  JsonReader nested(*v, pointer(key), *errors_);
  if (!nested.ok()) return std::nullopt;
  return nested;
}

std::optional<std::string> JsonReader::choice(const std::string& key, const std::vector<std::string>& choices) {
  auto text = string(key);
  if (!text) return std::nullopt;
  for (const auto& c : choices) {
    if (c == *text) return text;
  }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + ("\"" + c + "\"");
  error(key, "expected one of " + list + ", got \"" + *text + "\"");
  return std::nullopt;
}

void JsonReader::finish() {
  if (!is_object_) return;
  for (const auto& [key, value] : object_.items()) {
    if (!known_.count(key)) errors_->push_back({pointer(key), "unknown key"});
  }
}

}  // namespace prober::config
