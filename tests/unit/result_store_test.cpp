// What /results shows of a monitor's runs: the last, the last failure for an hour, the diagnosis.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "checks/check_result_json.h"
#include "report/result_store.h"

using prober::report::ResultStore;
using Clock = std::chrono::system_clock;

namespace {

nlohmann::json shown(const ResultStore& store, Clock::time_point now) {
  return nlohmann::json::parse(store.to_text(now));
}

}  // namespace

TEST_CASE("the last run and the last failure, through failures and recoveries") {
  ResultStore store;
  const auto t0 = Clock::time_point(std::chrono::hours(1000));
  using std::chrono::minutes;

  store.record("m", R"([{"n":1}])", false, t0);
  auto j = shown(store, t0);
  CHECK(j["m"]["last"][0]["n"] == 1);
  CHECK(j["m"]["last_failure"].is_null());

  store.record("m", R"([{"n":2}])", true, t0 + minutes(1));
  j = shown(store, t0 + minutes(1));
  CHECK(j["m"]["last"][0]["n"] == 2);
  CHECK(j["m"]["last_failure"][0]["n"] == 2);  // the last run is the last failure

  store.record("m", R"([{"n":3}])", false, t0 + minutes(2));
  j = shown(store, t0 + minutes(2));
  CHECK(j["m"]["last"][0]["n"] == 3);
  CHECK(j["m"]["last_failure"][0]["n"] == 2);  // kept after the recovery

  store.record("m", R"([{"n":4}])", false, t0 + minutes(3));
  CHECK(shown(store, t0 + minutes(3))["m"]["last_failure"][0]["n"] == 2);

  store.record("m", R"([{"n":5}])", true, t0 + minutes(4));
  store.record("m", R"([{"n":6}])", true, t0 + minutes(5));
  j = shown(store, t0 + minutes(5));
  CHECK(j["m"]["last"][0]["n"] == 6);
  CHECK(j["m"]["last_failure"][0]["n"] == 6);
  store.record("m", R"([{"n":7}])", false, t0 + minutes(6));
  CHECK(shown(store, t0 + minutes(6))["m"]["last_failure"][0]["n"] == 6);

  // An hour after the failure it is no longer shown, whether or not the monitor recovered.
  CHECK(shown(store, t0 + minutes(5) + ResultStore::kKeepFailures)["m"]["last_failure"].is_null());
  store.record("m", R"([{"n":8}])", true, t0 + minutes(10));
  CHECK(shown(store, t0 + minutes(9) + ResultStore::kKeepFailures)["m"]["last_failure"][0]["n"] == 8);
  CHECK(shown(store, t0 + minutes(10) + ResultStore::kKeepFailures)["m"]["last_failure"].is_null());
  CHECK(shown(store, t0 + minutes(10) + ResultStore::kKeepFailures)["m"]["last"][0]["n"] == 8);
}

TEST_CASE("a diagnosis is shown with its monitor, and a forgotten monitor is gone") {
  ResultStore store;
  const auto now = Clock::time_point(std::chrono::hours(1000));
  store.record_diagnosis("m", R"({"class":"x"})");  // no runs yet: nothing to attach it to
  CHECK(shown(store, now).empty());
  store.record("m", R"([{"n":1}])", true, now);
  store.record_diagnosis("m", R"({"class":"dns_nxdomain"})");
  store.record("other", "[]", false, now);
  auto j = shown(store, now);
  CHECK(j["m"]["last_diagnosis"]["class"] == "dns_nxdomain");
  CHECK(j["other"]["last_diagnosis"].is_null());
  store.forget("m");
  j = shown(store, now);
  CHECK_FALSE(j.contains("m"));
  CHECK(j.contains("other"));
}

TEST_CASE("rendered in steps, the text is the one rendered at once; monitors come and go between steps") {
  ResultStore store;
  const auto now = Clock::time_point(std::chrono::hours(1000));
  for (int i = 0; i < 50; ++i) {
    store.record("m" + std::to_string(i), "[{\"n\":" + std::to_string(i) + "}]", i % 3 == 0, now);
  }
  store.record_diagnosis("m4", R"({"class":"tcp_refused"})");
  const std::string whole = store.to_text(now);
  for (std::size_t budget : {1, 2, 7, 49, 50, 51}) {
    ResultStore::Cursor cursor;
    std::string out;
    int steps = 1;
    while (!store.render_some(cursor, out, budget, now)) ++steps;
    CHECK(out == whole);
    CHECK(steps == static_cast<int>((50 + budget - 1) / budget));  // no step left for the closing brace alone
  }

  // Between steps: a monitor already written goes away, one not yet written arrives.
  ResultStore::Cursor cursor;
  std::string out;
  CHECK_FALSE(store.render_some(cursor, out, 10, now));
  store.forget("m0");
  store.record("m99", "[{\"n\":99}]", false, now);
  while (!store.render_some(cursor, out, 10, now)) {
  }
  auto j = nlohmann::json::parse(out);  // still one JSON object
  CHECK(j.contains("m0"));              // written before it went
  CHECK(j.contains("m99"));
  CHECK(j.size() == 51);
  ResultStore empty;
  CHECK(empty.to_text(now) == "{}\n");
}

namespace {

// A result line as the agent writes it, of an HTTPS check whose certificate is `leaf_sha256`'s.
std::string https_line(const std::string& monitor, const std::string& leaf_sha256, const std::string& message) {
  prober::checks::CheckResult r;
  r.monitor = monitor;
  r.type = "http";
  r.target = "https://shop.example.net/" + monitor;
  r.address = "203.0.113.7";
  r.message = message;
  r.http.status = 200;
  prober::checks::CertInfo leaf;
  leaf.subject = "CN=shop.example.net";
  leaf.issuer = "CN=R11,O=Let's Encrypt,C=US";
  leaf.sha256 = leaf_sha256;
  leaf.dns_names = {"shop.example.net"};
  leaf.not_after = 1775001600;
  r.tls.version = "TLSv1.3";
  r.tls.server_name = "shop.example.net";
  r.tls.chain = {leaf, leaf};
  std::string vantage = "v", region = "r";
  prober::checks::ResultLineContext context{vantage, region, 7};
  return prober::checks::result_line(r, &context);
}

}  // namespace

TEST_CASE("equal TLS facts are held once; every text comes back byte for byte") {
  ResultStore store;
  const auto now = Clock::time_point(std::chrono::hours(1000));
  std::map<std::string, std::string> lines;
  for (int i = 0; i < 30; ++i) {  // three sites' certificates
    std::string m = "m" + std::to_string(i);
    lines[m] = "[" + https_line(m, std::string(64, "abc"[i % 3]), "HTTP 200") + "]";
    store.record(m, lines[m], false, now);
  }
  CHECK(store.shared_tls_facts() == 3);
  // Two results with facts, text that looks like a member inside strings, escapes before quotes,
  // and texts without facts worth sharing.
  lines["two"] = "[" + https_line("two", std::string(64, 'e'), R"(say "hi \ tls)") + "," +
                 https_line("two", std::string(64, 'a'), R"(\\"tls":{"a":[}])") + "]";
  lines["plain"] = R"([{"n":1,"tls":{"chain":[]},"z":"}]"}])";
  lines["null"] = R"([{"tls":null},{"tls":{"a":1}}])";
  lines["broken"] = R"([{"x":"unterminated)";
  for (const char* m : {"two", "plain", "null", "broken"}) store.record(m, lines[m], false, now);
  // "two"'s first facts are a fourth site's, which no other monitor checks: they stay in its text,
  // as its second ones do.
  CHECK(store.shared_tls_facts() == 3);
  CHECK(store.lone_tls_facts() == 4);  // the first three sites' (until a sweep) and the fourth's
  const std::string text = store.to_text(now);
  for (const auto& entry : lines) {  // (a structured binding cannot be captured by INFO's lambda in C++20)
    const std::string& m = entry.first;
    INFO(m);
    CHECK(text.find("\"" + m + "\":{\"last\":" + entry.second + ",") != std::string::npos);
  }
}

TEST_CASE("the last failure keeps its TLS facts after the site's certificate changed; unused facts are dropped") {
  ResultStore store;
  const auto t0 = Clock::time_point(std::chrono::hours(1000));
  const std::string old_cert = "[" + https_line("m", std::string(64, 'a'), "x") + "]";
  store.record("m", old_cert, true, t0);
  for (int i = 0; i < 500; ++i) {  // a new certificate at every run
    std::string sha = std::to_string(i);
    store.record("m", "[" + https_line("m", sha + std::string(64 - sha.size(), 'b'), "ok") + "]", false, t0);
  }
  const std::string last = "[" + https_line("m", std::string(64, 'c'), "ok") + "]";
  store.record("m", last, false, t0);
  CHECK(store.to_text(t0) ==
        "{\"m\":{\"last\":" + last + ",\"last_failure\":" + old_cert + ",\"last_diagnosis\":null}}\n");
  // Each certificate's facts were the monitor's own: none shared, and the hashes kept of them
  // bounded (the two held, and what the sweep has not dropped yet).
  CHECK(store.shared_tls_facts() == 0);
  CHECK(store.lone_tls_facts() <= 2 * 2 + 64 + 1);
  store.forget("m");
  store.record("n", last, false, t0);
  CHECK(store.to_text(t0) == "{\"n\":{\"last\":" + last + ",\"last_failure\":null,\"last_diagnosis\":null}}\n");
}

TEST_CASE("a site's facts are held in its one monitor's text until a second monitor has the same") {
  ResultStore store;
  const auto now = Clock::time_point(std::chrono::hours(1000));
  const std::string own = "[" + https_line("own", std::string(64, 'a'), "ok") + "]";
  for (int run = 0; run < 10; ++run) store.record("own", own, false, now);  // its own facts at every run
  CHECK(store.shared_tls_facts() == 0);
  CHECK(store.lone_tls_facts() == 1);
  // A second monitor on the same site (the same facts): from now on they are held once for both.
  const std::string other = "[" + https_line("other", std::string(64, 'a'), "ok") + "]";
  store.record("other", other, false, now);
  CHECK(store.shared_tls_facts() == 1);
  store.record("own", own, false, now);
  CHECK(store.shared_tls_facts() == 1);
  CHECK(store.to_text(now) == "{\"other\":{\"last\":" + other +
                                  ",\"last_failure\":null,\"last_diagnosis\":null},\n\"own\":{\"last\":" + own +
                                  ",\"last_failure\":null,\"last_diagnosis\":null}}\n");
}

TEST_CASE("monitors each on a site of their own keep no shared facts, and the hashes of gone ones are dropped") {
  ResultStore store;
  const auto now = Clock::time_point(std::chrono::hours(1000));
  std::map<std::string, std::string> lines;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i) {  // every monitor's certificate renewed at every round
      std::string m = "m" + std::to_string(i);
      std::string sha = std::to_string(round * 1000 + i);
      lines[m] = "[" + https_line(m, sha + std::string(64 - sha.size(), 'f'), "ok") + "]";
      store.record(m, lines[m], round == 1 && i % 2 == 0, now);  // half fail once: their failure keeps old facts
    }
  }
  CHECK(store.shared_tls_facts() == 0);
  CHECK(store.lone_tls_facts() <= 2 * 300 + 64 + 1);  // 300 held now, and what the sweep has not dropped yet
  const std::string text = store.to_text(now);
  for (const auto& entry : lines) {
    const std::string& m = entry.first;
    INFO(m);
    CHECK(text.find("\"" + m + "\":{\"last\":" + entry.second + ",") != std::string::npos);
  }
}
