// The Prometheus text exposition format 0.0.4 as the registry writes it: values, label sets and
// series lines (metrics_registry.h declares them; /probe's answer writes them too).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "checks/text.h"
#include "report/metrics_registry.h"

namespace prober::report {

namespace {

// A whole number of microseconds from 100 µs to under 1 000 s — what nearly every duration the
// agent reports in seconds is — as "%.9g" writes it: the number has at most nine significant
// digits, so its decimal digits are the answer. The general to_chars below costs ~1 200
// instructions a value, several times per /probe answer and per monitor in a scrape.
bool append_micros(std::string& out, double v) {
  if (!(v >= 1e-4 && v < 1e3)) return false;  // below: "%g" writes an exponent
  double whole = std::round(v * 1e6);
  if (whole / 1e6 != v) return false;  // not a whole number of microseconds
  auto micros = static_cast<std::uint64_t>(whole);
  char text[24];
  char* at = std::to_chars(text, text + 8, micros / 1000000).ptr;
  if (std::uint64_t fraction = micros % 1000000) {
    *at++ = '.';
    char* digits = at;
    for (int i = 5; i >= 0; --i, fraction /= 10) digits[i] = static_cast<char>('0' + fraction % 10);
    at += 6;
    while (at[-1] == '0') --at;
  }
  out.append(text, at);
  return true;
}

}  // namespace

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  // to_chars writes what printf's "%.0f" and "%.9g" write, without the locale and stream set-up
  // that made snprintf a visible part of every scrape.
  bool whole = v == std::floor(v);
  if (!whole && append_micros(out, v)) return;
  char text[32];
  std::to_chars_result written = whole && std::fabs(v) < 1e15
                                     ? std::to_chars(text, text + sizeof text, v, std::chars_format::fixed, 0)
                                     : std::to_chars(text, text + sizeof text, v, std::chars_format::general, 9);
  out.append(text, written.ptr);
}

std::string format_value(double v) {
  std::string out;
  append_value(out, v);
  return out;
}

namespace {

// key="value", escaped as the exposition format wants.
void append_pair(std::string& out, std::string_view key, std::string_view value) {
  out.append(key).append("=\"");
  for (char c : checks::valid_utf8(value)) {  // invalid UTF-8 fails the whole scrape
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  out += '"';
}

}  // namespace

std::string format_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ',';
    append_pair(out, k, v);
  }
  out += '}';
  return out;
}

void append_with_pair(std::string& out, std::string_view rendered, std::string_view pair) {
  if (rendered.empty()) {
    out.append("{").append(pair).append("}");
    return;
  }
  std::string_view key = pair.substr(0, pair.find('='));
  // Walk the pairs: a key runs to '='; its value is quoted, with backslash escapes.
  std::size_t at = 1;
  while (at < rendered.size() && rendered[at] != '}') {
    std::size_t eq = rendered.find('=', at);
    if (eq == std::string_view::npos) break;
    std::string_view k = rendered.substr(at, eq - at);
    std::size_t end = eq + 2;  // past ="
    while (end < rendered.size() && rendered[end] != '"') end += rendered[end] == '\\' ? 2 : 1;
    ++end;  // past the closing quote
    if (k >= key) {
      out.append(rendered.substr(0, at)).append(pair);
      if (k == key)
        out.append(rendered.substr(std::min(end, rendered.size())));
      else
        out.append(",").append(rendered.substr(at));
      return;
    }
    at = end + (end < rendered.size() && rendered[end] == ',' ? 1 : 0);
  }
  out.append(rendered.substr(0, rendered.size() - 1)).append(",").append(pair).append("}");
}

std::string with_label(std::string_view rendered, std::string_view key, std::string_view value) {
  std::string pair;
  append_pair(pair, key, value);
  std::string out;
  append_with_pair(out, rendered, pair);
  return out;
}

std::string rendered_pair(const std::string& key, const std::string& value) {
  std::string rendered = format_labels({{key, value}});  // {key="value"} with escaping
  return rendered.substr(1, rendered.size() - 2);
}

void append_header(std::string& out, std::string_view name, std::string_view help, MetricsRegistry::Kind kind) {
  static const char* kTypes[] = {"gauge", "counter", "histogram"};
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name).append(" ");
  out.append(kTypes[static_cast<int>(kind)]).append("\n");
}

void append_series(std::string& out, std::string_view name, std::string_view labels, const char* extra, double v) {
  out.append(name);
  if (!extra)
    out.append(labels);
  else
    append_with_pair(out, labels, extra);
  out += ' ';
  append_value(out, v);
  out += '\n';
}

}  // namespace prober::report
