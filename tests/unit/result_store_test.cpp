// What /results shows of a monitor's runs: the last, the last failure for an hour, the diagnosis.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

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
