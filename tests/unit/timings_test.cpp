#include <doctest/doctest.h>

#include <cstdio>

#include "checks/timings.h"

using namespace prober::checks;

TEST_CASE("phases from curl's cumulative times, HTTPS") {
  CurlTimes t{100, 1100, 5100, 7100, 7600};
  Timings p = transfer_timings(t, true);
  CHECK(p.connect->count() == 1000);
  CHECK(p.tls->count() == 4000);
  CHECK(p.ttfb->count() == 2000);
  CHECK(p.transfer->count() == 500);
  CHECK(p.total->count() == 7600);
  CHECK_FALSE(p.dns.has_value());  // resolved by us, not curl
}

TEST_CASE("plain HTTP has no TLS phase; ttfb counts from the connection") {
  Timings p = transfer_timings(CurlTimes{0, 300, 0, 900, 1000}, false);
  CHECK_FALSE(p.tls.has_value());
  CHECK(p.ttfb->count() == 600);
  CHECK(p.transfer->count() == 100);
}

TEST_CASE("phases never reached are null") {
  Timings refused = transfer_timings(CurlTimes{0, 0, 0, 0, 250}, true);
  CHECK_FALSE(refused.connect.has_value());
  CHECK_FALSE(refused.tls.has_value());
  CHECK_FALSE(refused.ttfb.has_value());
  CHECK_FALSE(refused.transfer.has_value());
  CHECK(refused.total->count() == 250);

  Timings handshake_failed = transfer_timings(CurlTimes{0, 200, 0, 0, 900}, true);
  CHECK(handshake_failed.connect->count() == 200);
  CHECK(handshake_failed.tls->count() == 700);  // reached, failed after 0.7 ms
  CHECK_FALSE(handshake_failed.ttfb.has_value());
}

TEST_CASE("hops add up phase by phase") {
  Timings a{Micros(10), Micros(100), std::nullopt, Micros(50), Micros(5), Micros(165)};
  Timings b{std::nullopt, Micros(200), Micros(300), Micros(60), Micros(7), Micros(567)};
  Timings sum = add(a, b);
  CHECK(sum.dns->count() == 10);
  CHECK(sum.connect->count() == 300);
  CHECK(sum.tls->count() == 300);
  CHECK(sum.total->count() == 732);
  CHECK_FALSE(add(Timings{}, Timings{}).connect.has_value());
}

TEST_CASE("milliseconds with 0.1 ms resolution") {
  CHECK(to_ms(Micros(12345)) == doctest::Approx(12.3));
  CHECK(to_ms(Micros(12351)) == doctest::Approx(12.4));
  CHECK(to_ms(Micros(0)) == 0.0);
}

TEST_CASE("format_ms writes what printf's %.1f writes") {
  for (double ms : {0.0, 0.04, 0.05, 0.15, 1.25, 12.345, 999.95, 1e6 + 0.06, -3.25, 123456789.987}) {
    char expected[64];
    std::snprintf(expected, sizeof expected, "%.1f ms", ms);
    CHECK(format_ms(ms) == expected);
  }
  CHECK(format_ms(1e300).ends_with(" ms"));  // too long for fixed notation: still a duration
}
