#include "report/metrics_registry.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

namespace prober::report {

void MetricsRegistry::declare(const std::string& name, Kind kind, const std::string& help,
                              std::vector<double> buckets) {
  if (families_.count(name)) return;
  order_.push_back(name);
  families_[name] = Family{kind, help, std::move(buckets), {}, {}};
}

void MetricsRegistry::declare_row(const std::string& name, Kind kind, const std::string& help,
                                  const std::vector<const char*>& pairs) {
  if (families_.count(name)) return;
  declare(name, kind, help);
  Family& f = families_.at(name);
  f.rows = true;
  if (pairs.empty()) column(f, nullptr);
  for (const char* pair : pairs) column(f, pair);
}

void MetricsRegistry::declare_info_row(const std::string& name, const std::string& help) {
  if (families_.count(name)) return;
  declare(name, Kind::kGauge, help);
  families_.at(name).rows = true;  // its columns come with the values seen
}

const MetricsRegistry::Column& MetricsRegistry::column(Family& f, const char* extra) {
  auto at = std::lower_bound(f.columns.begin(), f.columns.end(), view_of(extra),
                             [](const Column& c, std::string_view e) { return view_of(c.extra) < e; });
  if (at != f.columns.end() && view_of(at->extra) == view_of(extra)) return *at;
  // Columns are the row families times their static pairs: a fixed few, declared in code.
  if (column_families_.size() == kMaxColumns) throw std::logic_error("metrics: more row columns than a row holds");
  column_families_.push_back(&f);
  return *f.columns.insert(at, Column{extra, column_families_.size() - 1});
}

double& MetricsRegistry::row_cell(Family& f, SharedLabels& labels, const char* extra) {
  std::size_t index = column(f, extra).index;
  auto it = rows_.find(labels.text());
  if (it == rows_.end()) it = rows_.emplace(labels.held(), Row{}).first;
  Row& row = it->second;
  std::size_t at = row.slot(index);
  if (!row.has(index)) {
    // Grown by one, exactly: a row gets its series at its monitor's first run, and keeps them.
    std::size_t n = row.size();
    auto grown = std::make_unique<double[]>(n + 1);  // zero: the new cell's value
    std::copy(row.values.get(), row.values.get() + at, grown.get());
    std::copy(row.values.get() + at, row.values.get() + n, grown.get() + at + 1);
    row.values = std::move(grown);
    row.present |= std::uint64_t{1} << index;
    ++f.row_series;
  }
  return row.values[at];
}

void MetricsRegistry::clear_cell(Family& f, Row& row, std::size_t column) {
  if (!row.has(column)) return;
  std::size_t at = row.slot(column);
  std::copy(row.values.get() + at + 1, row.values.get() + row.size(), row.values.get() + at);  // one spare at the end
  row.present &= ~(std::uint64_t{1} << column);
  --f.row_series;
}

void MetricsRegistry::set(const std::string& name, const Labels& labels, double value) {
  set_rendered(name, format_labels(labels), value);
}

void MetricsRegistry::set_rendered(const std::string& name, const std::string& labels, double value) {
  Family& f = families_.at(name);
  if (f.rows) {
    SharedLabels text(labels);
    row_cell(f, text, nullptr) = value;
    return;
  }
  auto& values = f.values;
  if (auto it = values.find(std::string_view(labels)); it != values.end())  // every run but the first: no key copy
    it->second = value;
  else
    values.emplace(SeriesKey{LabelText(labels), nullptr}, value);
}

void MetricsRegistry::set_rendered(const std::string& name, SharedLabels& labels, double value, const char* extra) {
  Family& f = families_.at(name);
  if (f.rows) {
    row_cell(f, labels, extra) = value;
    return;
  }
  auto& values = f.values;
  if (auto it = values.find(KeyView{labels.text(), view_of(extra)}); it != values.end())
    it->second = value;
  else
    values.emplace(SeriesKey{labels.held(), extra}, value);
}

void MetricsRegistry::add(const std::string& name, const Labels& labels, double delta) {
  Family& f = families_.at(name);
  std::string text = format_labels(labels);
  if (f.rows) {
    SharedLabels shared(std::move(text));
    row_cell(f, shared, nullptr) += delta;
    return;
  }
  auto& values = f.values;
  if (auto it = values.find(std::string_view(text)); it != values.end())
    it->second += delta;
  else
    values.emplace(SeriesKey{LabelText(text), nullptr}, delta);
}

void MetricsRegistry::observe(const std::string& name, const Labels& labels, double value) {
  observe_rendered(name, format_labels(labels), value);
}

void MetricsRegistry::observe_rendered(const std::string& name, const std::string& labels, double value) {
  Family& f = families_.at(name);
  auto found = f.histograms.find(std::string_view(labels));
  Histogram& h = found != f.histograms.end() ? found->second : f.histograms[SeriesKey{LabelText(labels), nullptr}];
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

void MetricsRegistry::remove_with_label(const std::string& key, const std::vector<std::string>& values) {
  if (values.empty()) return;
  std::unordered_set<std::string> wanted;  // key="value" as rendered, escapes included
  for (const auto& v : values) wanted.insert(rendered_pair(key, v));
  const std::string opening = key + "=\"";
  // The rendered key="value" pair of `key` in a label set, or "" when it has none.
  auto pair_of = [&opening](std::string_view rendered) -> std::string_view {
    for (auto at = rendered.find(opening); at != std::string::npos; at = rendered.find(opening, at + 1)) {
      if (at == 0 || (rendered[at - 1] != '{' && rendered[at - 1] != ',')) continue;
      for (std::size_t i = at + opening.size(); i < rendered.size(); ++i) {
        if (rendered[i] == '\\')
          ++i;
        else if (rendered[i] == '"')
          return rendered.substr(at, i + 1 - at);
      }
    }
    return {};
  };
  auto matches = [&](const LabelText& rendered) {
    auto pair = pair_of(*rendered);
    return !pair.empty() && wanted.count(std::string(pair)) > 0;
  };
  for (auto& [name, f] : families_) {
    std::erase_if(f.values, [&](const auto& kv) { return matches(kv.first.labels); });
    std::erase_if(f.histograms, [&](const auto& kv) { return matches(kv.first.labels); });
  }
  std::erase_if(rows_, [&](const auto& kv) {
    if (!matches(kv.first)) return false;
    for (std::size_t i = 0; i < column_families_.size(); ++i) {
      if (kv.second.has(i)) --column_families_[i]->row_series;
    }
    return true;
  });
  for (auto& [name, index] : info_index_) {
    std::erase_if(index, [&](const auto& kv) { return matches(kv.second); });
  }
}

void MetricsRegistry::set_info(const std::string& name, const Labels& base, const Labels& extra) {
  if (extra.size() == 1) {
    SharedLabels rendered(format_labels(base));
    set_info_pair(name, rendered, rendered_pair(extra.begin()->first, extra.begin()->second));
    return;
  }
  Labels full = base;
  full.insert(extra.begin(), extra.end());
  SharedLabels rendered(format_labels(base));
  set_info_rendered(name, rendered, extra.empty() ? std::string() : format_labels(full));
}

void MetricsRegistry::set_info_rendered(const std::string& name, SharedLabels& base, std::string_view full) {
  Family& f = families_.at(name);
  if (f.rows) {  // declare_info_row's: none now is the one form it takes here
    if (!full.empty()) throw std::logic_error("metrics: an info series of several pairs in a row family");
    set_info_pair(name, base, {});
    return;
  }
  auto& index = info_index_[name];
  auto it = index.find(base.text());
  if (it != index.end() && *it->second == full) return;  // unchanged (most runs)
  LabelText held_base;
  if (it != index.end()) held_base = it->first;  // the text the family's other series already share
  drop_info(f, index, it, base.text(), {});
  if (full.empty()) return;
  if (!held_base) held_base = held_text(base);
  LabelText text(full);
  f.values.insert_or_assign(SeriesKey{text, nullptr}, 1);
  index.emplace(std::move(held_base), std::move(text));
}

void MetricsRegistry::set_info_pair(const std::string& name, SharedLabels& base, std::string_view pair) {
  Family& f = families_.at(name);
  if (f.rows) {
    set_info_cell(f, base, pair);
    return;
  }
  auto held = f.values.find(KeyView{base.text(), pair});
  if (held != f.values.end() && !pair.empty()) return;  // unchanged (most runs)
  auto& index = info_index_[name];
  drop_info(f, index, index.find(base.text()), base.text(), pair);
  if (pair.empty()) return;
  f.values.emplace(SeriesKey{held_text(base), stored_pair(pair)}, 1);
}

void MetricsRegistry::set_info_cell(Family& f, SharedLabels& base, std::string_view pair) {
  // The pair's column set, the family's other columns of the row cleared.
  bool unchanged = false;
  if (auto row = rows_.find(base.text()); row != rows_.end()) {
    for (const Column& c : f.columns) {
      if (view_of(c.extra) != pair)
        clear_cell(f, row->second, c.index);
      else
        unchanged = row->second.has(c.index);  // most runs: found without a lookup of the pair
    }
  }
  if (!pair.empty() && !unchanged) row_cell(f, base, stored_pair(pair)) = 1;
}

const char* MetricsRegistry::stored_pair(std::string_view pair) {
  auto stored = info_pairs_.find(pair);
  if (stored == info_pairs_.end()) stored = info_pairs_.emplace(pair).first;
  return stored->c_str();
}

LabelText MetricsRegistry::held_text(SharedLabels& labels) {
  // A run's info series come after its row series (each_probe_series): their row holds the text.
  if (auto row = rows_.find(labels.text()); row != rows_.end()) return row->first;
  return labels.held();
}

void MetricsRegistry::drop_info(Family& f, InfoIndex& index, InfoIndex::iterator full, std::string_view base,
                                std::string_view keep) {
  if (full != index.end()) {
    if (auto old = f.values.find(std::string_view(*full->second)); old != f.values.end()) f.values.erase(old);
    index.erase(full);
  }
  // The pair-form series of `base`: next to each other in the map, (base, pair) after (base).
  for (auto it = f.values.lower_bound(KeyView{base, {}}); it != f.values.end() && *it->first.labels == base;) {
    if (it->first.extra && view_of(it->first.extra) != keep)
      it = f.values.erase(it);
    else
      ++it;
  }
}

std::optional<double> MetricsRegistry::value(const std::string& name, const Labels& labels) const {
  auto f = families_.find(name);
  if (f == families_.end()) return std::nullopt;
  std::string text = format_labels(labels);
  if (f->second.rows) {
    const auto& columns = f->second.columns;
    auto row = rows_.find(std::string_view(text));
    if (row == rows_.end() || columns.empty() || columns.front().extra != nullptr) return std::nullopt;
    std::size_t index = columns.front().index;
    if (!row->second.has(index)) return std::nullopt;
    return row->second.value(index);
  }
  auto v = f->second.values.find(std::string_view(text));
  if (v == f->second.values.end()) return std::nullopt;
  return v->second;
}

void MetricsRegistry::render_histogram(std::string& out, const std::string& name, const Family& f, const SeriesKey& key,
                                       const Histogram& h) {
  std::string merged;
  if (key.extra) append_with_pair(merged, *key.labels, key.extra);
  std::string_view labels = key.extra ? std::string_view(merged) : *key.labels;
  // "le" goes last: the exposition format does not require label order.
  auto bucket = [&](const std::string& le, std::uint64_t count) {
    out.append(name).append("_bucket");
    if (labels.empty())
      out.append("{");
    else
      out.append(labels, 0, labels.size() - 1).append(",");
    out.append("le=\"").append(le).append("\"} ").append(std::to_string(count)).append("\n");
  };
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < f.buckets.size(); ++i) {
    cumulative += h.counts[i];
    bucket(format_value(f.buckets[i]), cumulative);
  }
  bucket("+Inf", h.count);
  out.append(name).append("_sum").append(labels).append(" ").append(format_value(h.sum)).append("\n");
  out.append(name).append("_count").append(labels).append(" ").append(std::to_string(h.count)).append("\n");
}

bool MetricsRegistry::render_rows(std::string& out, const std::string& name, const Family& f, Cursor& c,
                                  std::size_t& budget) const {
  // A row is rendered whole (a family has a few columns), so a slice resumes at the next row.
  auto it = c.after ? rows_.upper_bound(std::string_view(c.after->first)) : rows_.begin();
  const LabelText* last = nullptr;
  for (; it != rows_.end() && budget > 0; ++it, --budget) {
    const Row& row = it->second;
    for (const Column& col : f.columns) {
      if (row.has(col.index)) append_series(out, name, *it->first, col.extra, row.value(col.index));
    }
    last = &it->first;
  }
  if (it == rows_.end()) return true;
  if (last) c.after.emplace(**last, nullptr);
  return false;
}

void MetricsRegistry::render(std::string& out, const std::string& name, const Family& f) const {
  if (f.values.empty() && f.histograms.empty() && f.row_series == 0) return;
  append_header(out, name, f.help, f.kind);
  if (f.row_series > 0) {
    Cursor whole;
    std::size_t unlimited = rows_.size() + 1;
    render_rows(out, name, f, whole, unlimited);
  }
  for (const auto& [key, v] : f.values) append_series(out, name, *key.labels, key.extra, v);
  for (const auto& [key, h] : f.histograms) render_histogram(out, name, f, key, h);
}

bool MetricsRegistry::render_some(Cursor& c, std::string& out, std::size_t budget) const {
  while (c.family < order_.size()) {
    const std::string& name = order_[c.family];
    const Family& f = families_.at(name);
    if (!c.header_done) {
      if (!f.values.empty() || !f.histograms.empty() || f.row_series > 0) append_header(out, name, f.help, f.kind);
      c.header_done = true;
    }
    if (!c.histograms && f.row_series > 0) {
      if (!render_rows(out, name, f, c, budget)) return false;
      c.after.reset();
    }
    if (!c.histograms) {
      auto it = c.after ? f.values.upper_bound(KeyView{c.after->first, view_of(c.after->second)}) : f.values.begin();
      for (; it != f.values.end() && budget > 0; ++it, --budget) {
        append_series(out, name, *it->first.labels, it->first.extra, it->second);
        c.after.emplace(*it->first.labels, it->first.extra);
      }
      if (it != f.values.end()) return false;
      c.histograms = true;
      c.after.reset();
    }
    auto it =
        c.after ? f.histograms.upper_bound(KeyView{c.after->first, view_of(c.after->second)}) : f.histograms.begin();
    for (; it != f.histograms.end() && budget > 0; ++it, --budget) {
      render_histogram(out, name, f, it->first, it->second);
      c.after.emplace(*it->first.labels, it->first.extra);
    }
    if (it != f.histograms.end()) return false;
    c = Cursor{c.family + 1, false, false, std::nullopt};
  }
  return true;
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
