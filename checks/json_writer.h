#pragma once
// JSON text written straight into a string, without building a document first: the agent writes
// one line per check result, and a document of maps and strings costs more than the check's own
// result handling. Scalars go through nlohmann's serializer, so numbers and escaping (invalid
// UTF-8 becomes U+FFFD, as json_text does) are exactly nlohmann's; keys are written in the order
// given, so a caller that wants nlohmann's (sorted) order writes them sorted.
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace prober::checks {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out);

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // An object's key: plain ASCII (a name in this program), written as is.
  JsonWriter& key(std::string_view name);

  JsonWriter& null();
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(bool b);
  template <typename N>
  requires(std::is_arithmetic_v<N> && !std::is_same_v<N, bool>) JsonWriter& value(N number) {
    separate();
    serializer_.dump(nlohmann::json(number), false, false, 0);
    return *this;
  }
  template <typename T>
  JsonWriter& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }
  template <typename T>
  JsonWriter& value(const std::vector<T>& items) {
    begin_array();
    for (const auto& item : items) value(item);
    return end_array();
  }

 private:
  void separate();  // the comma before a member or an element that is not the first
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);

  std::string& out_;
  std::vector<bool> empty_;  // per open object or array: nothing in it yet
  bool after_key_ = false;
  nlohmann::detail::serializer<nlohmann::json> serializer_;
};

// JSON texts, each already one value (`text(item)`: the item itself by default), joined into one
// array, allocated once at its exact size: a kept or sent array holds no spare capacity.
template <typename Items, typename Text = std::identity>
std::string json_array(const Items& items, Text text = {}) {
  std::size_t size = 1;  // '[', and per item its text and a ',' or the closing ']'
  for (const auto& item : items) size += std::string_view(std::invoke(text, item)).size() + 1;
  if (size == 1) return "[]";
  std::string out;
  out.reserve(size);
  out += '[';
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    out += std::invoke(text, item);
    first = false;
  }
  out += ']';
  return out;
}

}  // namespace prober::checks
