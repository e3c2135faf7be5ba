#include <doctest/doctest.h>

#include "config/units.h"

using namespace prober::config;

TEST_CASE("durations") {
  CHECK(parse_duration("500ms")->count() == 500);
  CHECK(parse_duration("10s")->count() == 10000);
  CHECK(parse_duration("1.5s")->count() == 1500);
  CHECK(parse_duration("2m")->count() == 120000);
  CHECK(parse_duration("1h")->count() == 3600000);
  for (const char* bad : {"", "10", "s", "10 s", "-1s", "10x", "1e3s", "9999999999999h"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("sizes") {
  CHECK(*parse_size("64KiB") == 65536);
  CHECK(*parse_size("512MiB") == 512ull << 20);
  CHECK(*parse_size("10MB") == 10000000);
  CHECK(*parse_size("100") == 100);
  for (const char* bad : {"", "MiB", "10 MiB", "10mib", "-1KiB"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_size(bad).has_value());
  }
}
