#include "report/probe_metrics.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "checks/timings.h"

namespace prober::report {
namespace {

double seconds(const std::optional<checks::Micros>& d) { return d ? static_cast<double>(d->count()) / 1e6 : 0.0; }

std::string tls_version_label(const std::string& openssl) {  // "TLSv1.3" -> "TLS 1.3"
  return openssl.rfind("TLSv", 0) == 0 ? "TLS " + openssl.substr(4) : openssl;
}

// The phase pairs as rendered, with static storage: a series keeps its pair without a copy.
constexpr const char* kPhasePairs[] = {R"(phase="resolve")", R"(phase="connect")", R"(phase="tls")",
                                       R"(phase="processing")", R"(phase="transfer")"};

const char* rendered_phase(std::string_view phase) {
  for (const char* pair : kPhasePairs) {
    std::string_view p(pair);
    if (p.substr(7, p.size() - 8) == phase) return pair;
  }
  return nullptr;
}

// Every probe_* family, in the order blackbox_exporter's scrape shows them (probe_success last).
// Most series of a monitor carry its labels only: rows (one per monitor) hold them, and the TLS
// version's info series too (one pair from a few). The failure's info series has two pairs that
// change: a plain family.
enum class Held : std::uint8_t {
  kPlain,     // declare
  kRow,       // declare_row
  kPhaseRow,  // declare_row, one series per phase (kPhasePairs)
  kInfoRow,   // declare_info_row
};
struct ProbeFamily {
  std::string_view name;  // a view: the lookup by name compares lengths before bytes
  const char* help;
  Held held;
};
constexpr ProbeFamily kProbeFamilies[] = {
    {"probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds", Held::kRow},
    {"probe_duration_seconds", "Returns how long the probe took to complete in seconds", Held::kRow},
    {"probe_http_duration_seconds", "Duration of http request by phase, summed over all redirects", Held::kPhaseRow},
    {"probe_http_status_code", "Response HTTP status code", Held::kRow},
    {"probe_http_version", "Returns the version of HTTP of the probe response", Held::kRow},
    {"probe_http_redirects", "The number of redirects", Held::kRow},
    {"probe_http_content_length", "Length of http content response, -1 when unknown", Held::kRow},
    {"probe_failed_due_to_regex", "Indicates if probe failed due to regex", Held::kRow},
    {"probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime", Held::kRow},
    {"probe_ssl_last_chain_expiry_timestamp_seconds",
     "Returns the timestamp of the next expiring certificate in the verified chain", Held::kRow},
    {"probe_tls_version_info", "Returns the TLS version used or NaN when unknown", Held::kInfoRow},
    {"probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6", Held::kRow},
    {"probe_status", "Result severity: 0 ok, 1 warning, 2 critical, 3 unknown", Held::kRow},
    {"probe_failure_info", "The failure class and phase of the last run (1 while current)", Held::kPlain},
    {"probe_success", "Displays whether or not the probe was a success", Held::kRow},
};

// A run's series come in the table's order, mostly: the search starts after the last one found.
std::size_t family_index(std::string_view name, std::size_t& hint) {
  constexpr std::size_t n = std::size(kProbeFamilies);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t at = (hint + i) % n;
    if (name == kProbeFamilies[at].name) return hint = at;
  }
  return n;
}

}  // namespace

Labels probe_base_labels(const std::string& monitor, const std::vector<checks::CheckResult>& results,
                         const std::string& target) {
  return Labels{{"monitor", monitor}, {"type", results.empty() ? std::string() : results[0].type}, {"target", target}};
}

void declare_probe_metrics(MetricsRegistry& r) {
  for (const ProbeFamily& f : kProbeFamilies) {
    auto kind = MetricsRegistry::Kind::kGauge;
    std::string name(f.name);
    switch (f.held) {
      case Held::kPlain:
        r.declare(name, kind, f.help);
        break;
      case Held::kRow:
        r.declare_row(name, kind, f.help);
        break;
      case Held::kPhaseRow:
        r.declare_row(name, kind, f.help, std::vector<const char*>(std::begin(kPhasePairs), std::end(kPhasePairs)));
        break;
      case Held::kInfoRow:
        r.declare_info_row(name, f.help);
        break;
    }
  }
}

namespace {

// Every probe_* series of one run, once: `labels(l)` before each result's series, then
// `set(name, l, extra, value)` for a value (`extra`: one more label, e.g. the phase, or an empty
// key) and `info(name, l, extra)` for an info series (`extra` empty: none now). probe_samples and
// record_probe_series encode them.
template <typename Begin, typename Set, typename Info>
void each_probe_series(const Labels& base, const std::vector<checks::CheckResult>& results, bool per_address,
                       Begin labels, Set set, Info info) {
  using Extra = std::pair<std::string_view, std::string_view>;
  const Extra none{};
  for (const auto& r : results) {
    Labels with_address;
    const Labels* l = &base;
    if (per_address && !r.address.empty()) {
      with_address = base;
      with_address["address"] = r.address;
      l = &with_address;
    }
    labels(*l);
    bool success = r.failure.severity == checks::Severity::kOk || r.failure.severity == checks::Severity::kWarning;
    set("probe_success", *l, none, success ? 1 : 0);
    set("probe_status", *l, none, static_cast<double>(r.failure.severity));
    set("probe_duration_seconds", *l, none, seconds(r.timings.total));
    set("probe_dns_lookup_time_seconds", *l, none, seconds(r.timings.dns));
    if (r.ip_version) set("probe_ip_protocol", *l, none, r.ip_version);
    if (r.failure.failure_class != checks::FailureClass::kOk) {
      info("probe_failure_info", *l,
           Labels{{"class", std::string(to_string(r.failure.failure_class))},
                  {"phase", std::string(to_string(r.failure.phase))}});
    } else {
      info("probe_failure_info", *l, Labels{});
    }
    if (r.type == "http") {
      const auto& t = r.timings;
      const std::pair<const char*, std::optional<checks::Micros>> phases[] = {
          {"resolve", t.dns}, {"connect", t.connect}, {"tls", t.tls}, {"processing", t.ttfb}, {"transfer", t.transfer}};
      for (const auto& [phase, d] : phases) set("probe_http_duration_seconds", *l, Extra{"phase", phase}, seconds(d));
      set("probe_http_status_code", *l, none, r.http.status.value_or(0));
      double version = r.http.version == "2" ? 2.0 : r.http.version == "1.0" ? 1.0 : r.http.version ? 1.1 : 0.0;
      set("probe_http_version", *l, none, version);
      set("probe_http_redirects", *l, none, static_cast<double>(r.http.redirects.size()));
      set("probe_http_content_length", *l, none, static_cast<double>(r.http.content_length.value_or(-1)));
      bool regex = r.failure.failure_class == checks::FailureClass::kHttpBodyMismatch ||
                   r.failure.failure_class == checks::FailureClass::kHttpHeaderMismatch;
      set("probe_failed_due_to_regex", *l, none, regex ? 1 : 0);
    }
    if (auto earliest = checks::earliest_expiry(r.tls.chain))
      set("probe_ssl_earliest_cert_expiry", *l, none, *earliest);
    if (auto verified = checks::earliest_expiry(r.tls.verified_chain)) {
      set("probe_ssl_last_chain_expiry_timestamp_seconds", *l, none, *verified);
    }
    info("probe_tls_version_info", *l,
         r.tls.version ? Labels{{"version", tls_version_label(*r.tls.version)}} : Labels{});
  }
}

}  // namespace

std::vector<ProbeSample> probe_samples(const Labels& base, const std::vector<checks::CheckResult>& results,
                                       bool per_address) {
  std::vector<ProbeSample> out;
  out.reserve(results.size() * 20);
  std::shared_ptr<const Labels> shared;  // one copy of a result's labels for all its series
  each_probe_series(
      base, results, per_address, [&shared](const Labels& l) { shared = std::make_shared<const Labels>(l); },
      [&](const char* name, const Labels&, std::pair<std::string_view, std::string_view> extra, double v) {
        out.push_back({name, shared, v, false, {}});
        if (!extra.first.empty()) out.back().own.emplace(extra.first, extra.second);
      },
      [&](const char* name, const Labels&, Labels extra) {
        out.push_back({name, shared, 1, true, std::move(extra)});
      });
  return out;
}

void record_probe_series(MetricsRegistry& reg, const Labels& base, const std::vector<checks::CheckResult>& results,
                         bool per_address) {
  // A result's label set rendered once, not once per series; a monitor's first run leaves this
  // one text held by every family's series (later runs find their series by it).
  SharedLabels text{std::string()};
  each_probe_series(
      base, results, per_address, [&text](const Labels& l) { text = SharedLabels(format_labels(l)); },
      [&](const char* name, const Labels&, std::pair<std::string_view, std::string_view> extra, double v) {
        if (extra.first.empty())
          reg.set_rendered(name, text, v);
        else if (const char* pair = extra.first == "phase" ? rendered_phase(extra.second) : nullptr)
          reg.set_rendered(name, text, v, pair);  // the monitor's text, shared, and a static pair
        else
          reg.set_rendered(name, with_label(text.text(), extra.first, extra.second), v);
      },
      [&](const char* name, const Labels&, const Labels& extra) {
        if (extra.size() == 1) {  // the TLS version: one pair from a small set
          reg.set_info_pair(name, text, rendered_pair(extra.begin()->first, extra.begin()->second));
          return;
        }
        std::string full(text.text());
        for (const auto& [k, v] : extra) full = with_label(full, k, v);
        reg.set_info_rendered(name, text, extra.empty() ? std::string() : std::move(full));
      });
}

void record_samples(MetricsRegistry& reg, const std::vector<ProbeSample>& samples) {
  for (const auto& s : samples) {
    Labels labels = s.labels ? *s.labels : Labels{};
    if (s.is_info) {
      reg.set_info(std::string(s.name), labels, s.own);
      continue;
    }
    for (const auto& [k, v] : s.own) labels[k] = v;
    reg.set(std::string(s.name), labels, s.value);
  }
}

std::string probe_exposition(const std::vector<checks::CheckResult>& results, bool per_address) {
  // Each series as the registry would hold it: a row's series keyed by the result's labels (then
  // the phase), an info series by its full labels (replacing the one of the same result labels);
  // rendered in the registry's order and by its writers, so the text is the same as through it.
  // A result's labels are rendered once and its series point at them: this answers every /probe.
  std::vector<std::string> texts;
  texts.reserve(results.size());
  struct Series {
    std::size_t family;
    std::size_t base;             // the result's labels: texts[base]
    std::string full;             // an info series' labels when it has more than one pair; else empty
    const char* phase = nullptr;  // static (kPhasePairs); a row's phases are rendered in its text's order
    std::string pair;             // an info series' one pair (rendered), as the registry holds it
    double value = 1;
    std::string_view extra() const { return phase ? std::string_view(phase) : std::string_view(pair); }
  };
  auto key = [&texts](const Series& s) -> std::string_view {  // what the registry orders by
    return s.full.empty() ? std::string_view(texts[s.base]) : std::string_view(s.full);
  };
  std::vector<Series> series;
  series.reserve(results.size() * 24);
  std::size_t hint = 0;
  bool several = results.size() > 1;
  each_probe_series(
      Labels{}, results, per_address, [&texts](const Labels& l) { texts.push_back(format_labels(l)); },
      [&](const char* name, const Labels&, std::pair<std::string_view, std::string_view> extra, double v) {
        std::size_t family = family_index(name, hint);
        if (family == std::size(kProbeFamilies)) return;  // not declared: the registry would refuse it too
        const char* phase = extra.first.empty() ? nullptr : rendered_phase(extra.second);
        std::size_t base = texts.size() - 1;
        if (several) {  // a second result of the same labels sets the same series again
          auto same = std::find_if(series.begin(), series.end(), [&](const Series& s) {
            return s.family == family && s.phase == phase && texts[s.base] == texts[base];
          });
          if (same != series.end()) {
            same->value = v;
            return;
          }
        }
        series.push_back({family, base, std::string(), phase, std::string(), v});
      },
      [&](const char* name, const Labels&, const Labels& extra) {
        std::size_t family = family_index(name, hint);
        if (family == std::size(kProbeFamilies)) return;  // not declared: the registry would refuse it too
        std::size_t base = texts.size() - 1;
        if (several) {  // replaces the info series of the same result labels, or ends it
          std::erase_if(series, [&](const Series& s) { return s.family == family && texts[s.base] == texts[base]; });
        }
        if (extra.empty()) return;
        if (extra.size() == 1) {
          series.push_back(
              {family, base, std::string(), nullptr, rendered_pair(extra.begin()->first, extra.begin()->second)});
          return;
        }
        std::string full = texts[base];
        for (const auto& [k, v] : extra) full = with_label(full, k, v);
        series.push_back({family, base, std::move(full)});
      });
  std::stable_sort(series.begin(), series.end(), [&key](const Series& a, const Series& b) {
    if (a.family != b.family) return a.family < b.family;
    if (key(a) != key(b)) return key(a) < key(b);
    return a.extra() < b.extra();
  });
  std::string out;
  out.reserve(256 + series.size() * 96);
  std::size_t current = std::size(kProbeFamilies);
  for (const Series& s : series) {
    const ProbeFamily& f = kProbeFamilies[s.family];
    if (s.family != current) append_header(out, f.name, f.help, MetricsRegistry::Kind::kGauge);
    current = s.family;
    append_series(out, f.name, key(s), s.phase ? s.phase : s.pair.empty() ? nullptr : s.pair.c_str(), s.value);
  }
  return out;
}

}  // namespace prober::report
