// A target check's spec keeps its target as places in the monitor's own text: every run must get
// back exactly what parsing gave, whatever the URL looked like as written.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "checks/target_check.h"
#include "checks/url.h"

namespace {

using prober::checks::ParsedUrl;
using prober::checks::TargetSpec;

std::shared_ptr<const prober::config::MonitorConfig> monitor_with(const std::string& target) {
  auto m = std::make_shared<prober::config::MonitorConfig>();
  m->target = target;
  return m;
}

void check_round_trip(const std::string& written, const ParsedUrl& parsed) {
  INFO(written);
  auto spec =
      std::get<std::shared_ptr<const TargetSpec>>(prober::checks::make_target_spec(monitor_with(written), parsed));
  ParsedUrl back = spec->target();
  CHECK(back.url == parsed.url);
  CHECK(back.scheme == parsed.scheme);
  CHECK(back.host == parsed.host);
  CHECK(back.port == parsed.port);
  CHECK(spec->host() == parsed.host);
  CHECK(spec->port() == parsed.port);
  CHECK(spec->url() == parsed.url);
  CHECK(spec->scheme() == parsed.scheme);
}

}  // namespace

TEST_CASE("a spec gives back the parsed URL, written as parsing leaves it or not") {
  for (const char* url :
       {"https://shop.example.net/ok", "http://127.0.0.1:8080/health?x=1", "https://[::1]:8443/",
        "https://[2001:db8::7]/a#frag", "HTTPS://Shop.Example.NET", "http://user:secret@example.com:80/p",
        "https://a.example/p/../q", "https://xn--bcher-kva.example/", "http://h/"}) {
    auto parsed = prober::checks::parse_url(url);
    REQUIRE(std::holds_alternative<ParsedUrl>(parsed));
    check_round_trip(url, std::get<ParsedUrl>(parsed));
  }
}

TEST_CASE("a tls or tcp target (host:port) gives back its URL form") {
  for (const char* target : {"shop.example.net:443", "127.0.0.1:25", "[::1]:853", "::1:853"}) {
    auto parsed = prober::checks::parse_host_port(target, "https");
    REQUIRE(std::holds_alternative<ParsedUrl>(parsed));
    check_round_trip(target, std::get<ParsedUrl>(parsed));
  }
}

TEST_CASE("a host the URL does not hold as it is still comes back") {
  ParsedUrl odd;
  odd.url = "https://elsewhere.example/";
  odd.scheme = "https";
  odd.host = "shop.example.net";
  odd.port = 443;
  check_round_trip("https://elsewhere.example/", odd);
  check_round_trip("written otherwise", odd);
}
