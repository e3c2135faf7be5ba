#include <doctest/doctest.h>

#include "checks/url.h"

#include "checks/validators.h"

using namespace prober::checks;
using prober::config::HttpExpect;

namespace {

CompiledHttpExpect compiled(const HttpExpect& e) { return std::get<CompiledHttpExpect>(compile_http_expect(e)); }

HttpFacts response(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpFacts h;
  h.status = status;
  h.headers = std::move(headers);
  return h;
}

}  // namespace

TEST_CASE("status lists and ranges") {
  HttpExpect e;
  e.status = {{200, 204}, {301, 301}};
  auto c = compiled(e);
  CHECK_FALSE(validate_response(c, response(204), "").has_value());
  CHECK_FALSE(validate_response(c, response(301), "").has_value());
  auto v = validate_response(c, response(302), "");
  REQUIRE(v);
  CHECK(v->failure.failure_class == FailureClass::kHttpStatus);
  CHECK(v->detail == "status 302, expected 200-204, 301");
}

TEST_CASE("an unexpected status from a bot wall is http_blocked") {
  HttpExpect defaults;
  auto c = compiled(defaults);
  auto v = validate_response(c, response(403, {{"cf-mitigated", "challenge"}}), "");
  REQUIRE(v);
  CHECK(v->failure.failure_class == FailureClass::kHttpBlocked);
  CHECK(v->detail.find("cf-mitigated: challenge") != std::string::npos);
  // ...unless the monitor expects exactly that status.
  HttpExpect expect_403;
  expect_403.status = {{403, 403}};
  CHECK_FALSE(validate_response(compiled(expect_403), response(403, {{"cf-mitigated", "challenge"}}), "").has_value());
}

TEST_CASE("headers: case-insensitive names, RE2 values, missing headers") {
  HttpExpect e;
  e.headers.emplace_back("content-type", "^text/html");
  auto c = compiled(e);
  CHECK_FALSE(validate_response(c, response(200, {{"Content-Type", "text/html; charset=utf-8"}}), "").has_value());
  auto wrong = validate_response(c, response(200, {{"Content-Type", "application/json"}}), "");
  REQUIRE(wrong);
  CHECK(wrong->failure.failure_class == FailureClass::kHttpHeaderMismatch);
  auto missing = validate_response(c, response(200), "");
  REQUIRE(missing);
  CHECK(missing->detail == "header content-type missing");
}

TEST_CASE("body regex and substring") {
  HttpExpect e;
  e.body_regex = "Welcome|Hello";
  auto c = compiled(e);
  CHECK(c.needs_body());
  CHECK_FALSE(validate_response(c, response(200), "<h1>Welcome</h1>").has_value());
  CHECK(validate_response(c, response(200), "Goodbye")->failure.failure_class == FailureClass::kHttpBodyMismatch);
  HttpExpect s;
  s.body_contains = "a.b";
  CHECK(validate_response(compiled(s), response(200), "axb").has_value());  // literal, not a pattern
  CHECK_FALSE(validate_response(compiled(s), response(200), "xa.bx").has_value());
}

TEST_CASE("patterns RE2 rejects are reported at compile time") {
  HttpExpect e;
  e.body_regex = "(unclosed";
  CHECK(std::get<std::string>(compile_http_expect(e)).find("body_regex") == 0);
  HttpExpect h;
  h.headers.emplace_back("x", "a{2,1}");
  CHECK(std::holds_alternative<std::string>(compile_http_expect(h)));
}

TEST_CASE("certificate expiry thresholds") {
  TlsFacts tls;
  CertInfo leaf;
  leaf.subject_cn = "shop.test";
  leaf.not_after = 10 * 86400 + 50;
  tls.chain = {leaf};
  prober::config::ExpiryThresholds t{21, 7};
  auto v = validate_cert_expiry(t, tls, 0);
  REQUIRE(v);
  CHECK(v->failure.severity == Severity::kWarning);
  CHECK(v->detail.find("expires in 10 days") != std::string::npos);
  CHECK(validate_cert_expiry(t, tls, 5 * 86400)->failure.severity == Severity::kCritical);
  CHECK_FALSE(validate_cert_expiry(prober::config::ExpiryThresholds{5, 2}, tls, 0).has_value());
  CHECK_FALSE(validate_cert_expiry(t, TlsFacts{}, 0).has_value());
}

TEST_CASE("latency thresholds and the worse verdict") {
  prober::config::Thresholds t{100.0, 500.0};
  Timings fast, slow, awful;
  fast.total = Micros(99000);
  slow.total = Micros(100000);
  awful.total = Micros(600000);
  CHECK_FALSE(validate_latency(t, fast).has_value());
  CHECK(validate_latency(t, slow)->failure.severity == Severity::kWarning);
  CHECK(validate_latency(t, awful)->failure.severity == Severity::kCritical);
  CHECK(worse(validate_latency(t, slow), validate_latency(t, awful))->failure.severity == Severity::kCritical);
  CHECK(worse(std::nullopt, validate_latency(t, slow)).has_value());
}

TEST_CASE("latency thresholds are held against the time without the agent's own hold-up") {
  prober::config::Thresholds t{1000.0, 3000.0};
  Timings paused;
  paused.total = Micros(3'500'000);  // the agent paused 2.6 s while the answer waited
  CHECK(validate_latency(t, paused)->failure.severity == Severity::kCritical);
  CHECK_FALSE(validate_latency(t, paused, Micros(2'600'000)).has_value());  // 900 ms: the target's, at most
  auto still = validate_latency(t, paused, Micros(600'000));
  REQUIRE(still.has_value());
  CHECK(still->failure.severity == Severity::kWarning);
  CHECK(still->detail ==
        "response took 3500.0 ms, 2900.0 ms without the 600.0 ms prober itself was held up (warning at 1000.0 ms)");
  CHECK(validate_latency(t, paused, Micros(9'000'000)) == std::nullopt);  // never below nothing
  CHECK(validate_latency(t, paused, Micros(0))->detail == "response took 3500.0 ms (critical at 3000.0 ms)");
}

TEST_CASE("URLs in logs lose their userinfo and query values") {
  using prober::checks::redacted_url;
  CHECK(redacted_url("https://user:pass@config.example/prober.json?token=abc&v=2#top") ==
        "https://config.example/prober.json?token=REDACTED&v=REDACTED#top");
  CHECK(redacted_url("https://config.example/a@b/c") == "https://config.example/a@b/c");  // '@' in the path stays
  CHECK(redacted_url("http://h/x?flag") == "http://h/x?flag");
  CHECK(redacted_url("/etc/prober/config.json") == "/etc/prober/config.json");
}
