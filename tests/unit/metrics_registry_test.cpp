#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "report/metrics_registry.h"

using namespace prober::report;

TEST_CASE("exposition: help, type, escaped labels, probe_success last") {
  MetricsRegistry r;
  r.declare("probe_success", MetricsRegistry::Kind::kGauge, "Success");
  r.declare("probe_duration_seconds", MetricsRegistry::Kind::kGauge, "Duration");
  r.set("probe_success", {{"monitor", "a"}}, 1);
  r.set("probe_duration_seconds", {{"monitor", "a"}, {"target", "x\"y\\z\n"}}, 0.25);
  CHECK(r.exposition("probe_success") ==
        "# HELP probe_duration_seconds Duration\n# TYPE probe_duration_seconds gauge\n"
        "probe_duration_seconds{monitor=\"a\",target=\"x\\\"y\\\\z\\n\"} 0.25\n"
        "# HELP probe_success Success\n# TYPE probe_success gauge\nprobe_success{monitor=\"a\"} 1\n");
}

TEST_CASE("counters add, histograms bucket cumulatively") {
  MetricsRegistry r;
  r.declare("c_total", MetricsRegistry::Kind::kCounter, "C");
  r.declare("h_seconds", MetricsRegistry::Kind::kHistogram, "H", {0.1, 1});
  r.add("c_total", {{"class", "ok"}});
  r.add("c_total", {{"class", "ok"}}, 2);
  r.observe("h_seconds", {{"type", "http"}}, 0.05);
  r.observe("h_seconds", {{"type", "http"}}, 0.5);
  r.observe("h_seconds", {{"type", "http"}}, 7);
  std::string text = r.exposition();
  CHECK(text.find("c_total{class=\"ok\"} 3\n") != std::string::npos);
  CHECK(text.find("h_seconds_bucket{type=\"http\",le=\"0.1\"} 1\n") != std::string::npos);
  CHECK(text.find("h_seconds_bucket{type=\"http\",le=\"1\"} 2\n") != std::string::npos);
  CHECK(text.find("h_seconds_bucket{type=\"http\",le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("h_seconds_sum{type=\"http\"} 7.55\n") != std::string::npos);
  CHECK(text.find("h_seconds_count{type=\"http\"} 3\n") != std::string::npos);
}

TEST_CASE("removing a monitor's series matches whole label values only") {
  MetricsRegistry r;
  r.declare("g", MetricsRegistry::Kind::kGauge, "G");
  r.set("g", {{"monitor", "shop"}, {"type", "http"}}, 1);
  r.set("g", {{"monitor", "shop-api"}, {"type", "http"}}, 1);
  r.set("g", {{"monitor", "xshop"}}, 1);
  r.set("g", {{"monitor", "a\"b"}, {"type", "http"}}, 1);    // escaped in the rendered labels
  r.set("g", {{"address", "::1"}, {"monitor", "shop"}}, 1);  // not the first label
  r.remove_with_label("monitor", {"shop", "a\"b"});
  CHECK_FALSE(r.value("g", {{"address", "::1"}, {"monitor", "shop"}}).has_value());
  CHECK_FALSE(r.value("g", {{"monitor", "a\"b"}, {"type", "http"}}).has_value());
  CHECK_FALSE(r.value("g", {{"monitor", "shop"}, {"type", "http"}}).has_value());
  CHECK(r.value("g", {{"monitor", "shop-api"}, {"type", "http"}}) == 1);
  CHECK(r.value("g", {{"monitor", "xshop"}}) == 1);
}

TEST_CASE("an info series replaces its predecessor for the same base labels") {
  MetricsRegistry r;
  r.declare("probe_failure_info", MetricsRegistry::Kind::kGauge, "I");
  r.set_info("probe_failure_info", {{"monitor", "a"}}, {{"class", "tcp_refused"}, {"phase", "connect"}});
  r.set_info("probe_failure_info", {{"monitor", "b"}}, {{"class", "dns_timeout"}, {"phase", "dns"}});
  r.set_info("probe_failure_info", {{"monitor", "a"}}, {{"class", "tls_cert_expired"}, {"phase", "tls"}});
  std::string text = r.exposition();
  CHECK(text.find("tcp_refused") == std::string::npos);
  CHECK(text.find("probe_failure_info{class=\"tls_cert_expired\",monitor=\"a\",phase=\"tls\"} 1") != std::string::npos);
  r.set_info("probe_failure_info", {{"monitor", "a"}}, {});  // recovered
  r.remove_with_label("monitor", {"b"});                     // removed on reload
  CHECK(r.exposition().empty());
  r.set_info("probe_failure_info", {{"monitor", "b"}}, {{"class", "x"}});
  CHECK(r.exposition().find("class=\"x\"") != std::string::npos);
}

TEST_CASE("values in the Prometheus text format") {
  CHECK(format_value(1) == "1");
  CHECK(format_value(0.000015) == "1.5e-05");
  CHECK(format_value(1795619155) == "1795619155");
  CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(0.0001) == "0.0001");
  CHECK(format_value(0.000099) == "9.9e-05");
  CHECK(format_value(999.999999) == "999.999999");
  CHECK(format_value(0.0123) == "0.0123");
  CHECK(format_value(-0.5) == "-0.5");
  // The same text as printf's "%.0f" for whole numbers below 1e15 and "%.9g" for the rest.
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000; ++i) {
    double v;
    std::uint64_t bits = rng();
    switch (i % 4) {
      case 0:
        std::memcpy(&v, &bits, sizeof v);
        break;  // any double
      case 1:
        v = static_cast<double>(static_cast<std::int64_t>(bits) >> (bits % 64));
        break;  // whole
      case 2:
        v = static_cast<double>(bits % (bits & 1 ? 1100000000 : 200)) / 1e6;
        break;  // seconds as timed: whole microseconds, past 1 000 s and under 100 µs too
      default:
        v = std::ldexp(static_cast<double>(bits % 1000), static_cast<int>(bits % 120) - 60);
        break;
    }
    if (std::isnan(v) || std::isinf(v)) continue;
    char expected[64];
    std::snprintf(expected, sizeof expected, v == std::floor(v) && std::fabs(v) < 1e15 ? "%.0f" : "%.9g", v);
    CHECK_MESSAGE(format_value(v) == expected, v);
    if (format_value(v) != expected) break;
  }
}

TEST_CASE("removing the series of thousands of monitors at once is one pass") {
  MetricsRegistry r;
  r.declare("g", MetricsRegistry::Kind::kGauge, "G");
  std::vector<std::string> gone;
  for (int i = 0; i < 20000; ++i) {
    std::string m = "m" + std::to_string(i);
    for (const char* t : {"a", "b", "c", "d", "e"}) r.set("g", {{"monitor", m}, {"t", t}}, 1);
    if (i % 10 == 0) gone.push_back(m);
  }
  r.remove_with_label("monitor", gone);  // quadratic before: 2000 scans of 100 000 series
  CHECK_FALSE(r.value("g", {{"monitor", "m0"}, {"t", "a"}}).has_value());
  CHECK(r.value("g", {{"monitor", "m1"}, {"t", "a"}}) == 1);
  std::size_t lines = 0;
  for (char c : r.exposition()) lines += c == '\n';
  CHECK(lines == 2 + 18000 * 5);
}

TEST_CASE("an exposition rendered in slices is the whole one, and survives changes between slices") {
  MetricsRegistry r;
  r.declare("a_total", MetricsRegistry::Kind::kCounter, "a");
  r.declare("b_seconds", MetricsRegistry::Kind::kHistogram, "b", {0.1, 1});
  r.declare("empty", MetricsRegistry::Kind::kGauge, "never set");
  r.declare("c", MetricsRegistry::Kind::kGauge, "c");
  for (int i = 0; i < 50; ++i) {
    r.add("a_total", {{"monitor", "m" + std::to_string(i)}}, i);
    r.observe("b_seconds", {{"monitor", "m" + std::to_string(i)}}, i / 10.0);
  }
  r.set("c", {}, 3);
  for (std::size_t budget : {1, 3, 7, 1000}) {
    MetricsRegistry::Cursor cursor;
    std::string out;
    int slices = 1;
    while (!r.render_some(cursor, out, budget)) ++slices;
    CHECK(out == r.exposition());
    if (budget == 1) CHECK(slices >= 100);
  }
  // Between slices: a series before the cursor is removed, one after it added, one rendered is
  // changed. Every series present throughout appears exactly once; the new one appears.
  MetricsRegistry::Cursor cursor;
  std::string out;
  CHECK_FALSE(r.render_some(cursor, out, 10));
  r.remove_with_label("monitor", {"m0"});
  r.add("a_total", {{"monitor", "m99"}}, 1);
  r.add("a_total", {{"monitor", "m1"}}, 100);
  while (!r.render_some(cursor, out, 10)) {
  }
  CHECK(out.find("a_total{monitor=\"m0\"} 0\n") != std::string::npos);  // rendered before it went
  CHECK(out.find("a_total{monitor=\"m1\"} 1\n") != std::string::npos);  // as it was when rendered
  CHECK(out.find("a_total{monitor=\"m99\"} 1\n") != std::string::npos);
  CHECK(out.find("b_seconds_bucket{monitor=\"m0\"") == std::string::npos);  // gone before its turn
  std::size_t count = 0;
  for (std::size_t at = out.find("a_total{monitor=\"m2\"}"); at != std::string::npos;
       at = out.find("a_total{monitor=\"m2\"}", at + 1))
    ++count;
  CHECK(count == 1);
}

TEST_CASE("with_label puts a label where format_labels would, escapes it, and replaces one already there") {
  Labels l{{"b", "x,y=\"}"}, {"d", "4"}};
  std::string rendered = format_labels(l);
  for (const char* key : {"a", "c", "e", "b"}) {
    Labels more = l;
    more[key] = "v\"\\\n";
    CHECK(with_label(rendered, key, "v\"\\\n") == format_labels(more));
  }
  CHECK(with_label("", "phase", "tls") == format_labels({{"phase", "tls"}}));
  CHECK(with_label(format_labels({{"a", "\xff"}}), "b", "\xfe") == format_labels({{"a", "\xff"}, {"b", "\xfe"}}));
}

TEST_CASE("a label text given to several families is held once, and let go with its series") {
  MetricsRegistry r;
  r.declare("a", MetricsRegistry::Kind::kGauge, "A");
  r.declare("b", MetricsRegistry::Kind::kGauge, "B");
  r.declare("info", MetricsRegistry::Kind::kGauge, "I");
  LabelText text(format_labels({{"monitor", "m"}, {"target", "t"}}));
  {
    SharedLabels run(text);
    r.set_rendered("a", run, 1);
    r.set_rendered("b", run, 2);
    r.set_info_rendered("info", run, with_label(*text, "class", "x"));
  }
  CHECK(text.use_count() == 4);  // ours, a's series, b's series, the info index

  // A later run renders the same labels anew: the series keep the text they hold.
  LabelText again(*text);
  {
    SharedLabels run(again);
    r.set_rendered("a", run, 3);
    r.set_info_rendered("info", run, with_label(*again, "class", "y"));
  }
  CHECK(again.use_count() == 1);
  CHECK(text.use_count() == 4);
  SharedLabels rendered_again{std::string(*text)};  // as a run renders them: no shared text is made to find them
  r.set_rendered("b", rendered_again, 4);
  CHECK(r.value("b", {{"monitor", "m"}, {"target", "t"}}) == 4);
  r.set_rendered("b", rendered_again, 2);
  CHECK(r.value("a", {{"monitor", "m"}, {"target", "t"}}) == 3);
  CHECK(r.exposition() ==
        "# HELP a A\n# TYPE a gauge\na{monitor=\"m\",target=\"t\"} 3\n"
        "# HELP b B\n# TYPE b gauge\nb{monitor=\"m\",target=\"t\"} 2\n"
        "# HELP info I\n# TYPE info gauge\ninfo{class=\"y\",monitor=\"m\",target=\"t\"} 1\n");

  SharedLabels no_info(again);
  r.set_info_rendered("info", no_info, "");  // no info series now

  CHECK(text.use_count() == 3);
  r.remove_with_label("monitor", {"m"});
  CHECK(text.use_count() == 1);
  CHECK(r.exposition().empty());
}

TEST_CASE("an info series of one pair holds its monitor's text and a pair kept once, and is replaced like any") {
  MetricsRegistry r;
  r.declare_row("up", MetricsRegistry::Kind::kGauge, "U");
  r.declare("tls", MetricsRegistry::Kind::kGauge, "T");
  LabelText text(format_labels({{"monitor", "m"}, {"type", "http"}}));
  auto run = [&](const std::string& pair) {
    SharedLabels labels{std::string(*text)};  // rendered anew at every run, as the agent does
    r.set_rendered("up", labels, 1);
    r.set_info_pair("tls", labels, pair);
  };
  {
    SharedLabels first(text);
    r.set_rendered("up", first, 1);
  }
  run(R"(version="TLS 1.3")");
  run(R"(version="TLS 1.3")");
  CHECK(text.use_count() == 3);  // ours, the row, the info series: no text of its own, no index entry
  const std::string header =
      "# HELP up U\n# TYPE up gauge\nup{monitor=\"m\",type=\"http\"} 1\n# HELP tls T\n# TYPE tls gauge\n";
  CHECK(r.exposition() == header + "tls{monitor=\"m\",type=\"http\",version=\"TLS 1.3\"} 1\n");
  run(R"(version="TLS 1.2")");  // replaced
  CHECK(r.exposition() == header + "tls{monitor=\"m\",type=\"http\",version=\"TLS 1.2\"} 1\n");
  CHECK(text.use_count() == 3);

  // The same family given a series of several pairs for the same labels, and back: one at a time.
  SharedLabels labels{std::string(*text)};
  r.set_info_rendered("tls", labels, with_label(with_label(*text, "a", "1"), "version", "x"));
  CHECK(r.exposition() == header + "tls{a=\"1\",monitor=\"m\",type=\"http\",version=\"x\"} 1\n");
  run(R"(version="TLS 1.2")");
  CHECK(r.exposition() == header + "tls{monitor=\"m\",type=\"http\",version=\"TLS 1.2\"} 1\n");
  r.set_info("tls", {{"monitor", "m"}, {"type", "http"}}, {{"version", "TLS 1.3"}});  // through the Labels form
  CHECK(r.exposition() == header + "tls{monitor=\"m\",type=\"http\",version=\"TLS 1.3\"} 1\n");

  // Several monitors, whole and in slices; none now, and gone with its monitor.
  for (int i = 0; i < 9; ++i) {
    SharedLabels other{format_labels({{"monitor", "m" + std::to_string(i)}})};
    r.set_info_pair("tls", other, i % 2 ? R"(version="TLS 1.3")" : R"(version="TLS 1.2")");
  }
  std::string whole = r.exposition();
  for (std::size_t budget : {1, 2, 4}) {
    MetricsRegistry::Cursor cursor;
    std::string out;
    while (!r.render_some(cursor, out, budget)) {
    }
    CHECK(out == whole);
  }
  run("");
  CHECK(r.exposition().find(R"(tls{monitor="m",)") == std::string::npos);
  CHECK(text.use_count() == 2);
  r.remove_with_label("monitor", {"m", "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"});
  CHECK(r.exposition().empty());
  CHECK(text.use_count() == 1);
}

TEST_CASE("a series with a static extra pair renders as the full label set would, whole or in slices") {
  MetricsRegistry r;
  r.declare("d", MetricsRegistry::Kind::kGauge, "D");
  r.declare("full", MetricsRegistry::Kind::kGauge, "D");
  const char* const pairs[] = {R"(phase="connect")", R"(a="first")", R"(zz="last")", R"(monitor="replaced")"};
  std::vector<LabelText> texts;
  for (int i = 0; i < 20; ++i) {
    Labels base{{"monitor", "m" + std::to_string(i)}, {"target", "t\"" + std::to_string(i)}};
    texts.emplace_back(format_labels(base));
    for (const char* text : pairs) {
      std::string_view pair(text);
      auto eq = pair.find('=');
      std::string key(pair.substr(0, eq)), value(pair.substr(eq + 2, pair.size() - eq - 3));
      SharedLabels run(texts.back());
      r.set_rendered("d", run, i, text);
      r.set_rendered("full", with_label(*texts.back(), key, value), i);
    }
  }
  SharedLabels none{LabelText(std::string_view())};
  r.set_rendered("d", none, 7, R"(phase="tls")");  // no other labels
  r.set_rendered("full", format_labels({{"phase", "tls"}}), 7);
  CHECK(texts[3].use_count() == 1 + 4);  // the four series of m3 hold our text, no copy of it

  // Same lines, family name aside (the order within a family may differ: it follows the keys).
  auto lines = [](std::string text, const std::string& name) {
    std::vector<std::string> out;
    for (std::size_t at = 0, next; at < text.size(); at = next + 1) {
      next = text.find('\n', at);
      std::string line = text.substr(at, next - at);
      if (line.rfind(name + "{", 0) == 0) out.push_back(line.substr(name.size()));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  std::string whole = r.exposition();
  CHECK(lines(whole, "d") == lines(whole, "full"));
  CHECK(lines(whole, "d").size() == 20 * 4 + 1);
  CHECK(whole.find(R"(d{monitor="replaced",target="t\"0"} 0)") != std::string::npos);  // a pair of the same key
  CHECK(whole.find(R"(d{a="first",monitor="m0",target="t\"0"} 0)") != std::string::npos);
  CHECK(whole.find(R"(d{monitor="m0",phase="connect",target="t\"0"} 0)") != std::string::npos);
  CHECK(whole.find(R"(d{monitor="m0",target="t\"0",zz="last"} 0)") != std::string::npos);
  CHECK(whole.find(R"(d{phase="tls"} 7)") != std::string::npos);
  for (std::size_t budget : {1, 3, 1000}) {
    MetricsRegistry::Cursor cursor;
    std::string out;
    while (!r.render_some(cursor, out, budget)) {
    }
    CHECK(out == whole);
  }
  r.remove_with_label("monitor", {"m3"});
  CHECK(texts[3].use_count() == 1);
}

TEST_CASE("row families render exactly as plain families, through changes, removals and slices") {
  // The same operations on two registries: families declared plain in one, as rows in the other.
  MetricsRegistry plain, rows;
  const char* const names[] = {"r_success", "r_phase_seconds", "r_total"};
  for (auto* r : {&plain, &rows}) {
    r->declare("before", MetricsRegistry::Kind::kGauge, "plain, before");
    r->declare("info", MetricsRegistry::Kind::kGauge, "info series beside rows");
  }
  plain.declare(names[0], MetricsRegistry::Kind::kGauge, "s");
  plain.declare(names[1], MetricsRegistry::Kind::kGauge, "p");
  plain.declare(names[2], MetricsRegistry::Kind::kCounter, "t");
  rows.declare_row(names[0], MetricsRegistry::Kind::kGauge, "s");
  rows.declare_row(names[1], MetricsRegistry::Kind::kGauge, "p");
  rows.declare_row(names[2], MetricsRegistry::Kind::kCounter, "t");
  // An info family of one pair from a few (the TLS version): a column per value in the rows.
  plain.declare("r_version_info", MetricsRegistry::Kind::kGauge, "v");
  rows.declare_info_row("r_version_info", "v");
  const char* const versions[] = {R"(version="TLS 1.3")", R"(version="TLS 1.2")", ""};
  const char* const phases[] = {R"(phase="transfer")", R"(phase="connect")", R"(phase="tls")"};
  std::uint32_t seed = 12345;
  auto next = [&seed](std::uint32_t n) {
    seed = seed * 1103515245 + 12345;
    return (seed >> 8) % n;
  };
  auto compare = [&] {
    std::string whole = plain.exposition("r_success");
    REQUIRE(rows.exposition("r_success") == whole);
    for (std::size_t budget : {1, 2, 5}) {
      MetricsRegistry::Cursor cursor;
      std::string out;
      while (!rows.render_some(cursor, out, budget)) {
      }
      CHECK(out == plain.exposition());
    }
  };
  for (int round = 0; round < 400; ++round) {
    Labels base{{"monitor", "m" + std::to_string(next(40))}, {"type", next(2) ? "http" : "dns"}};
    if (next(3) == 0) base["address"] = next(2) ? "::1" : "127.0.0.1";
    std::string text = format_labels(base);
    std::uint32_t op = next(7);
    const char* version = versions[next(3)];
    bool with_success = next(4) == 0;
    for (auto* r : {&plain, &rows}) {
      SharedLabels run(text);
      switch (op) {
        case 0:
          r->set_rendered(names[0], run, round % 2);
          for (const char* phase : phases) r->set_rendered(names[1], run, round / 1000.0, phase);
          r->set_info_rendered("info", run, with_label(text, "class", round % 2 ? "tcp_refused" : "ok"));
          break;
        case 1:
          r->set(names[0], base, round);
          break;
        case 2:
          r->add(names[2], base, 1);
          break;
        case 3:
          r->set_rendered(names[1], run, round, phases[round % 3]);
          break;
        case 4:
          if (round % 5 == 0) r->remove_with_label("monitor", {base["monitor"], "m" + std::to_string(round % 40)});
          break;
        case 5:
          r->set_info_pair("r_version_info", run, version);  // replaces the monitor's other version, "": none
          if (with_success) r->set_rendered(names[0], run, round);
          break;
        default:
          r->set("before", base, round);
      }
    }
    if (round % 50 == 0) compare();
  }
  compare();
  CHECK(rows.value(names[0], {{"monitor", "nobody"}}) == std::nullopt);
  for (int i = 0; i < 40; ++i) {
    Labels l{{"monitor", "m" + std::to_string(i)}, {"type", "http"}};
    CHECK(rows.value(names[0], l) == plain.value(names[0], l));
    CHECK(rows.value(names[2], l) == plain.value(names[2], l));
  }
  std::vector<std::string> everyone;
  for (int i = 0; i < 40; ++i) everyone.push_back("m" + std::to_string(i));
  plain.remove_with_label("monitor", everyone);
  rows.remove_with_label("monitor", everyone);
  CHECK(rows.exposition() == plain.exposition());
  CHECK(rows.exposition().find("r_") == std::string::npos);  // no header for a family left empty
}
