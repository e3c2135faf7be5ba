// Configuration patterns compiled once per distinct text and shared while held.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "checks/patterns.h"
#include "checks/validators.h"

using namespace prober;
using checks::compile_pattern;
using checks::Pattern;

TEST_CASE("one compiled pattern per distinct text, shared by every holder") {
  auto a = compile_pattern("Welcome.*shop");
  auto b = compile_pattern("Welcome.*shop");
  auto other = compile_pattern("Welcome.*cart");
  REQUIRE(std::holds_alternative<Pattern>(a));
  REQUIRE(std::holds_alternative<Pattern>(b));
  REQUIRE(std::holds_alternative<Pattern>(other));
  CHECK(std::get<Pattern>(a).get() == std::get<Pattern>(b).get());
  CHECK(std::get<Pattern>(a).get() != std::get<Pattern>(other).get());
  CHECK(re2::RE2::PartialMatch("Welcome to the shop", *std::get<Pattern>(a)));
  CHECK_FALSE(re2::RE2::PartialMatch("Welcome to the shop", *std::get<Pattern>(other)));

  // Two monitors' expectations with the same body_regex hold the same program.
  config::HttpExpect first, second;
  first.body_regex = second.body_regex = "Welcome.*shop";
  auto x = checks::compile_http_expect(first);
  auto y = checks::compile_http_expect(second);
  REQUIRE(std::holds_alternative<checks::CompiledHttpExpect>(x));
  REQUIRE(std::holds_alternative<checks::CompiledHttpExpect>(y));
  CHECK(std::get<checks::CompiledHttpExpect>(x).body_regex.get() == std::get<Pattern>(a).get());
  CHECK(std::get<checks::CompiledHttpExpect>(y).body_regex.get() == std::get<Pattern>(a).get());
}

TEST_CASE("a rejected pattern is RE2's message, every time") {
  for (int i = 0; i < 2; ++i) {
    auto bad = compile_pattern("(unclosed");
    REQUIRE(std::holds_alternative<std::string>(bad));
    CHECK(std::get<std::string>(bad).find("missing )") != std::string::npos);
  }
}

TEST_CASE("a pattern released by its last holder is kept for the next one, then freed") {
  std::weak_ptr<const re2::RE2> gone;
  {
    auto held = compile_pattern("^only-here-[0-9]+$");
    REQUIRE(std::holds_alternative<Pattern>(held));
    gone = std::get<Pattern>(held);
  }
  // A /probe run's patterns live only while it runs: the next run finds the same program.
  REQUIRE_FALSE(gone.expired());
  auto next_run = compile_pattern("^only-here-[0-9]+$");
  REQUIRE(std::holds_alternative<Pattern>(next_run));
  CHECK(std::get<Pattern>(next_run).get() == gone.lock().get());
  next_run = std::string();
  // Once 256 other patterns were handed out since, nothing holds it any more.
  for (int i = 0; i < 256; ++i) compile_pattern("^filler-" + std::to_string(i) + "$");
  CHECK(gone.expired());
}

TEST_CASE("patterns freed and compiled again, and many distinct ones, stay correct") {
  auto again = compile_pattern("^only-here-[0-9]+$");
  REQUIRE(std::holds_alternative<Pattern>(again));
  CHECK(re2::RE2::FullMatch("only-here-42", *std::get<Pattern>(again)));

  std::vector<Pattern> held;
  for (int i = 0; i < 1000; ++i) {
    auto p = compile_pattern("^host" + std::to_string(i) + "\\.test$");
    REQUIRE(std::holds_alternative<Pattern>(p));
    if (i % 2 == 0) held.push_back(std::get<Pattern>(p));  // half released at once: swept later
  }
  for (int i = 0; i < 1000; i += 2) {
    auto p = compile_pattern("^host" + std::to_string(i) + "\\.test$");
    REQUIRE(std::holds_alternative<Pattern>(p));
    CHECK(std::get<Pattern>(p).get() == held[static_cast<std::size_t>(i / 2)].get());
    CHECK(re2::RE2::FullMatch("host" + std::to_string(i) + ".test", *std::get<Pattern>(p)));
  }
}
