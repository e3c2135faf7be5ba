#pragma once
// Metric families (gauge, counter, histogram) with labelled series, rendered in the Prometheus
// text exposition format 0.0.4. Single-threaded, like the loop that owns it.
#include <bit>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "report/label_text.h"

namespace prober::report {

using Labels = std::map<std::string, std::string>;

// A rendered label set one run gives to several families: series are found by its text, and it
// becomes one shared LabelText only when a family adds a series (a monitor's first run), so later
// runs allocate nothing for it.
class SharedLabels {
 public:
  explicit SharedLabels(std::string rendered) : text_(std::move(rendered)) {}
  explicit SharedLabels(LabelText held) : held_(std::move(held)) {}
  std::string_view text() const { return held_ ? *held_ : std::string_view(text_); }
  const LabelText& held() {
    if (!held_) {
      held_ = LabelText(text_);
      std::string().swap(text_);
    }
    return held_;
  }

 private:
  std::string text_;
  LabelText held_;
};

class MetricsRegistry {
 public:
  enum class Kind { kGauge, kCounter, kHistogram };

  // Declares a family once (help text, kind, histogram buckets); later calls are no-ops.
  void declare(const std::string& name, Kind kind, const std::string& help, std::vector<double> buckets = {});
  // A gauge or counter family whose label sets other such families have too (a monitor's probe_*
  // series): its values are kept in one row per label set, shared by those families, ~8 bytes
  // a series instead of a 64-byte map node each. Everything else is as for declare(); not for
  // set_info. `pairs`: the static extra pairs its series will have (none: a series without one),
  // given here so that a row is allocated once, at its full width.
  void declare_row(const std::string& name, Kind kind, const std::string& help,
                   const std::vector<const char*>& pairs = {});
  // An info family whose series have one pair beyond a monitor's labels, its value from a small
  // set (version="TLS 1.3"): held in the rows too, a column per value, at most one set in a row
  // (set_info_pair). A monitor's series costs a value in its row instead of a map node.
  void declare_info_row(const std::string& name, const std::string& help);
  void set(const std::string& name, const Labels& labels, double value);
  void add(const std::string& name, const Labels& labels, double delta = 1);
  void observe(const std::string& name, const Labels& labels, double value);
  void observe_rendered(const std::string& name, const std::string& labels, double value);
  // Drops every series, of every family, whose label `key` is one of `values`: one pass over
  // the series however many values (a reload that changes thousands of monitors).
  void remove_with_label(const std::string& key, const std::vector<std::string>& values);
  std::optional<double> value(const std::string& name, const Labels& labels) const;
  // An "info" series (value 1) whose extra labels change over time, e.g. the failure class:
  // replaces the one set before for the same `base` labels (none when `extra` is empty), in
  // O(log n) instead of a scan of the family.
  void set_info(const std::string& name, const Labels& base, const Labels& extra);
  // The same with labels already rendered (format_labels, with_label): no formatting per series.
  // `full` empty: no info series now.
  void set_rendered(const std::string& name, const std::string& labels, double value);
  // A new series holds `labels`' shared text (shared with the other families given the same).
  // `extra`: one more pair, rendered (phase="connect"), a string with static storage: the series
  // holds the pointer and it is written where format_labels would put it. Not matched by
  // remove_with_label, and not found by value().
  void set_rendered(const std::string& name, SharedLabels& labels, double value, const char* extra = nullptr);
  void set_info_rendered(const std::string& name, SharedLabels& base, std::string_view full);
  // The same for an info series with one pair beyond `base` (`pair` rendered, version="TLS 1.3";
  // empty: no info series now): it holds `base`'s shared text and the pair, which the registry
  // keeps once for its life (the values of such a pair come from a small set, such as the TLS
  // versions), so a monitor's series costs a map node rather than a label text and an index entry.
  void set_info_pair(const std::string& name, SharedLabels& base, std::string_view pair);

  // Families in declaration order; `last` (if declared) is written last, as blackbox does
  // with probe_success.
  std::string exposition(const std::string& last = "") const;

  // Where an exposition rendered in slices stands. Positions are keys, not iterators: series
  // added or removed between slices (checks keep reporting) never invalidate it; a series is
  // rendered whole, and each once.
  struct Cursor {
    std::size_t family = 0;  // index in declaration order
    bool header_done = false;
    bool histograms = false;  // past the family's plain values
    // The last series rendered in the current part: its label text and extra pair.
    std::optional<std::pair<std::string, const char*>> after;
  };
  // Appends at most `budget` series (a histogram counts as one) from `cursor` on; true when the
  // exposition is complete. The agent renders /metrics this way between other loop work, so a
  // scrape of 100 000 series never stalls the checks' timers.
  bool render_some(Cursor& cursor, std::string& out, std::size_t budget) const;

 private:
  struct Histogram {
    std::vector<std::uint64_t> counts;  // per bucket, cumulative at render time
    double sum = 0;
    std::uint64_t count = 0;
  };
  // Series are keyed by their rendered label text ({a="1",b="2"}): one string per label set
  // instead of a map of strings, held once however many families use it, plus at most one
  // static pair (a monitor's five phase series share its text too). Ordered by (text, extra).
  struct SeriesKey {
    LabelText labels;
    const char* extra = nullptr;  // static; a pointer, not a view: the key fits a 64-byte map node
  };
  using KeyView = std::pair<std::string_view, std::string_view>;
  static std::string_view view_of(const char* extra) { return extra ? std::string_view(extra) : std::string_view(); }
  struct KeyLess {
    using is_transparent = void;
    static KeyView view(const SeriesKey& k) { return {*k.labels, view_of(k.extra)}; }
    static KeyView view(const KeyView& k) { return k; }
    static KeyView view(std::string_view labels) { return {labels, {}}; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return view(a) < view(b);
    }
  };
  // A row family's series with one extra pair (or none): a column of rows_.
  struct Column {
    const char* extra;  // as in SeriesKey
    std::size_t index;  // in Row::values and Row::present
  };
  struct Family {
    Kind kind;
    std::string help;
    std::vector<double> buckets;
    std::map<SeriesKey, double, KeyLess> values;
    std::map<SeriesKey, Histogram, KeyLess> histograms;
    bool rows = false;            // declare_row: values live in rows_, not in `values`
    std::vector<Column> columns;  // ordered by extra, as the series render
    std::size_t row_series = 0;   // set cells in rows_
  };
  // The values of the row families' series with one label set, by column.
  struct Row {
    std::uint64_t present = 0;  // bit per column
    // The present columns' values only, in column order (an HTTP monitor's row has no room for
    // TLS or DNS series): as many as `present` has bits, so no size or capacity is kept.
    std::unique_ptr<double[]> values;
    bool has(std::size_t column) const { return (present >> column & 1) != 0; }
    std::size_t size() const { return static_cast<std::size_t>(std::popcount(present)); }
    std::size_t slot(std::size_t column) const {
      return static_cast<std::size_t>(std::popcount(present & ((std::uint64_t{1} << column) - 1)));
    }
    double value(std::size_t column) const { return values[slot(column)]; }
  };
  static constexpr std::size_t kMaxColumns = 64;

  // The text the series of these labels already share, if any series has it; else `labels`' own.
  LabelText held_text(SharedLabels& labels);
  // base labels -> full labels of a family's info series in the full-text form (info_index_)
  using InfoIndex = std::map<LabelText, LabelText, LabelTextLess>;
  // Drops `f`'s info series of `base`, in either form, but the one with `keep` as its pair:
  // `full` is `base`'s entry in the family's `index` (or its end), found once by the caller.
  static void drop_info(Family& f, InfoIndex& index, InfoIndex::iterator full, std::string_view base,
                        std::string_view keep);
  void render(std::string& out, const std::string& name, const Family& f) const;
  // The cell of `f`'s series with these labels and extra pair, made when missing.
  double& row_cell(Family& f, SharedLabels& labels, const char* extra);
  static void clear_cell(Family& f, Row& row, std::size_t column);
  // set_info_pair on a declare_info_row family.
  void set_info_cell(Family& f, SharedLabels& base, std::string_view pair);
  // `pair` as kept for the registry's life (info_pairs_): a series holds the pointer.
  const char* stored_pair(std::string_view pair);
  const Column& column(Family& f, const char* extra);
  // Renders f's row series after the cursor's row, at most `budget` rows; true when past the
  // last, else the cursor is left at the last row rendered.
  bool render_rows(std::string& out, const std::string& name, const Family& f, Cursor& c, std::size_t& budget) const;
  static void render_histogram(std::string& out, const std::string& name, const Family& f, const SeriesKey& key,
                               const Histogram& h);

  std::vector<std::string> order_;
  // family -> rendered base labels -> rendered full labels of its current info series (both the
  // texts the series hold)
  std::map<std::string, InfoIndex> info_index_;
  std::map<std::string, Family> families_;
  std::map<LabelText, Row, LabelTextLess> rows_;
  std::vector<Family*> column_families_;           // by column index (families_ never moves a Family)
  std::set<std::string, std::less<>> info_pairs_;  // set_info_pair's pairs, their storage for the series
};

std::string format_labels(const Labels& labels);                              // {a="1",b="x\"y"}
std::string rendered_pair(const std::string& key, const std::string& value);  // b="x\"y"
// A rendered label set with key="value" added where format_labels would put it (keys in order),
// or replaced when `key` is there: `{a="1",c="3"}` + b=2 -> `{a="1",b="2",c="3"}`.
std::string with_label(std::string_view rendered, std::string_view key, std::string_view value);
// Appends `rendered` ({a="1",c="3"}) with the rendered pair `pair` (b="2") where format_labels
// would put it (keys in order), or in place of the pair of the same key.
void append_with_pair(std::string& out, std::string_view rendered, std::string_view pair);
std::string format_value(double v);  // Prometheus float text: NaN, +Inf, 1.5e-05
void append_value(std::string& out, double v);
// The exposition's text, as the registry writes it: a family's HELP and TYPE lines, and one
// series' line, `extra` (a rendered pair such as phase="connect", or null) where format_labels
// would put it among `labels`.
void append_header(std::string& out, std::string_view name, std::string_view help, MetricsRegistry::Kind kind);
void append_series(std::string& out, std::string_view name, std::string_view labels, const char* extra, double v);

}  // namespace prober::report
