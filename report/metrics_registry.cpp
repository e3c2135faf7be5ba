#include "report/metrics_registry.h"

#include <cmath>
#include <cstdio>
#include <string_view>
#include <unordered_set>

#include "checks/text.h"

namespace prober::report {

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char text[32];
    std::snprintf(text, sizeof text, "%.0f", v);
    return text;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string format_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"";
    for (char c : checks::valid_utf8(v)) {  // an exposition with invalid UTF-8 fails the whole scrape
      if (c == '\\')
        out += "\\\\";
      else if (c == '"')
        out += "\\\"";
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    out += "\"";
  }
  return out + "}";
}

void MetricsRegistry::declare(const std::string& name, Kind kind, const std::string& help,
                              std::vector<double> buckets) {
  if (families_.count(name)) return;
  order_.push_back(name);
  families_[name] = Family{kind, help, std::move(buckets), {}, {}};
}

void MetricsRegistry::set(const std::string& name, const Labels& labels, double value) {
  families_.at(name).values[format_labels(labels)] = value;
}

void MetricsRegistry::add(const std::string& name, const Labels& labels, double delta) {
  families_.at(name).values[format_labels(labels)] += delta;
}

void MetricsRegistry::observe(const std::string& name, const Labels& labels, double value) {
  Family& f = families_.at(name);
  Histogram& h = f.histograms[format_labels(labels)];
  if (h.counts.empty()) h.counts.assign(f.buckets.size(), 0);
  for (std::size_t i = 0; i < f.buckets.size(); ++i) {
    if (value <= f.buckets[i]) {
      ++h.counts[i];
      break;
    }
  }
  h.sum += value;
  ++h.count;
}

namespace {

// Whether a rendered label set ({a="1",b="2"}) carries key="value".
bool has_label(const std::string& rendered, const std::string& pair) {
  for (auto at = rendered.find(pair); at != std::string::npos; at = rendered.find(pair, at + 1)) {
    char before = at > 0 ? rendered[at - 1] : '\0';
    char after = at + pair.size() < rendered.size() ? rendered[at + pair.size()] : '\0';
    if ((before == '{' || before == ',') && (after == ',' || after == '}')) return true;
  }
  return false;
}

std::string pair_text(const std::string& key, const std::string& value) {
  std::string rendered = format_labels({{key, value}});  // {key="value"} with escaping
  return rendered.substr(1, rendered.size() - 2);
}

}  // namespace

void MetricsRegistry::remove_with_label(const std::string& key, const std::vector<std::string>& values) {
  if (values.empty()) return;
  std::unordered_set<std::string> wanted;  // key="value" as rendered, escapes included
  for (const auto& v : values) wanted.insert(pair_text(key, v));
  const std::string opening = key + "=\"";
  // The rendered key="value" pair of `key` in a label set, or "" when it has none.
  auto pair_of = [&opening](const std::string& rendered) -> std::string_view {
    for (auto at = rendered.find(opening); at != std::string::npos; at = rendered.find(opening, at + 1)) {
      if (at == 0 || (rendered[at - 1] != '{' && rendered[at - 1] != ',')) continue;
      for (std::size_t i = at + opening.size(); i < rendered.size(); ++i) {
        if (rendered[i] == '\\')
          ++i;
        else if (rendered[i] == '"')
          return std::string_view(rendered).substr(at, i + 1 - at);
      }
    }
    return {};
  };
  auto matches = [&](const std::string& rendered) {
    auto pair = pair_of(rendered);
    return !pair.empty() && wanted.count(std::string(pair)) > 0;
  };
  for (auto& [name, f] : families_) {
    std::erase_if(f.values, [&](const auto& kv) { return matches(kv.first); });
    std::erase_if(f.histograms, [&](const auto& kv) { return matches(kv.first); });
  }
  for (auto& [name, index] : info_index_) {
    std::erase_if(index, [&](const auto& kv) { return matches(kv.second); });
  }
}

void MetricsRegistry::remove_family_matching(const std::string& name, const Labels& labels) {
  auto it = families_.find(name);
  if (it == families_.end()) return;
  std::vector<std::string> pairs;
  for (const auto& [k, v] : labels) pairs.push_back(pair_text(k, v));
  auto matches = [&pairs](const std::string& rendered) {
    for (const auto& p : pairs) {
      if (!has_label(rendered, p)) return false;
    }
    return true;
  };
  std::erase_if(it->second.values, [&](const auto& kv) { return matches(kv.first); });
  std::erase_if(it->second.histograms, [&](const auto& kv) { return matches(kv.first); });
  if (auto index = info_index_.find(name); index != info_index_.end()) {
    std::erase_if(index->second, [&](const auto& kv) { return matches(kv.second); });
  }
}

void MetricsRegistry::set_info(const std::string& name, const Labels& base, const Labels& extra) {
  Family& f = families_.at(name);
  auto& index = info_index_[name];
  std::string base_key = format_labels(base);
  if (auto it = index.find(base_key); it != index.end()) {
    f.values.erase(it->second);
    index.erase(it);
  }
  if (extra.empty()) return;
  Labels full = base;
  full.insert(extra.begin(), extra.end());
  std::string key = format_labels(full);
  f.values[key] = 1;
  index.emplace(std::move(base_key), std::move(key));
}

std::optional<double> MetricsRegistry::value(const std::string& name, const Labels& labels) const {
  auto f = families_.find(name);
  if (f == families_.end()) return std::nullopt;
  auto v = f->second.values.find(format_labels(labels));
  if (v == f->second.values.end()) return std::nullopt;
  return v->second;
}

void MetricsRegistry::render(std::string& out, const std::string& name, const Family& f) const {
  if (f.values.empty() && f.histograms.empty()) return;
  static const char* kTypes[] = {"gauge", "counter", "histogram"};
  out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + kTypes[static_cast<int>(f.kind)] + "\n";
  for (const auto& [labels, v] : f.values) out += name + labels + " " + format_value(v) + "\n";
  for (const auto& histogram : f.histograms) {
    const std::string& labels = histogram.first;  // named, not a structured binding: lambdas capture it
    const auto& h = histogram.second;
    // "le" goes last: the exposition format does not require label order.
    auto with_le = [&labels](const std::string& le) {
      return labels.empty() ? "{le=\"" + le + "\"}" : labels.substr(0, labels.size() - 1) + ",le=\"" + le + "\"}";
    };
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < f.buckets.size(); ++i) {
      cumulative += h.counts[i];
      out += name + "_bucket" + with_le(format_value(f.buckets[i])) + " " + std::to_string(cumulative) + "\n";
    }
    out += name + "_bucket" + with_le("+Inf") + " " + std::to_string(h.count) + "\n";
    out += name + "_sum" + labels + " " + format_value(h.sum) + "\n";
    out += name + "_count" + labels + " " + std::to_string(h.count) + "\n";
  }
}

std::string MetricsRegistry::exposition(const std::string& last) const {
  std::string out;
  for (const auto& name : order_) {
    if (name != last) render(out, name, families_.at(name));
  }
  if (!last.empty() && families_.count(last)) render(out, last, families_.at(last));
  return out;
}

}  // namespace prober::report
