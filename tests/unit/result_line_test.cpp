// The result line written straight into text is, byte for byte, what nlohmann's document wrote
// (tests/support/result_json_reference.h): every field, set and unset, and hostile bytes.
#include <doctest/doctest.h>

#include <random>

#include "../support/result_json_reference.h"
#include "checks/check_result_json.h"

using namespace prober::checks;
namespace reference = prober::testing::reference;

namespace {

CertInfo cert(const std::string& name) {
  CertInfo c;
  c.subject = "CN=" + name;
  c.issuer = "CN=Test CA";
  c.not_before = 1764000000;
  c.not_after = 1795536000;
  c.sha256 = "ab:cd";
  c.dns_names = {name, "www." + name};
  c.key_type = "EC";
  c.key_bits = 256;
  c.signature_algorithm = "ecdsa-with-SHA256";
  return c;
}

CheckResult full_result() {
  CheckResult r;
  r.monitor = "shop";
  r.type = "http";
  r.target = "https://shop.example/";
  r.address = "192.0.2.10";
  r.port = 443;
  r.ip_version = 4;
  r.started_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764064800123));
  r.failure.failure_class = FailureClass::kTlsCertExpired;
  r.failure.severity = Severity::kCritical;
  r.failure.phase = Phase::kTls;
  r.underlying_class = FailureClass::kHttpStatus;
  r.message = "the certificate expired";
  r.hints = {"renew it", "check the chain"};
  r.findings = {{FailureClass::kHttpSlow, "slow"}, {FailureClass::kOk, "fine"}};
  r.diagnostics = {{"tls", "every shape fails", {"tls1.2: eof", "tls1.3: eof"}}, {"dns", "ok", {}}};
  r.detail = "certificate has expired";
  r.timings.dns = Micros(1234);
  r.timings.connect = Micros(100);
  r.timings.tls = Micros(2500050);
  r.timings.total = Micros(1);
  r.http.status = 301;
  r.http.version = "2";
  r.http.final_url = "https://shop.example/home";
  r.http.content_length = 42;
  r.http.body_bytes = 18446744073709551615ULL;
  RedirectHop hop{"https://shop.example/", "192.0.2.10", 301, "/home", {}};
  hop.timings.ttfb = Micros(999);
  r.http.redirects = {hop, hop};
  r.tls.version = "TLSv1.3";
  r.tls.cipher = "TLS_AES_128_GCM_SHA256";
  r.tls.alpn = "h2";
  r.tls.chain = {cert("shop.example"), cert("intermediate")};
  r.tls.verify_result = 10;
  r.tls.verify_error = "certificate has expired";
  r.tls.server_name = "shop.example";
  r.tls.aia_note = "fetched";
  r.tls.client_certificate_requested = true;
  r.dns.server = "127.0.0.1:53";
  r.dns.question = "shop.example A";
  r.dns.rcode = "NOERROR";
  r.dns.answers = {"192.0.2.10", "192.0.2.11"};
  r.dns.ttls = {300, 4294967295U};
  return r;
}

void same_as_reference(const CheckResult& r) {
  std::string vantage = "tokyo-1", region = "ap-northeast-1";
  ResultLineContext context{vantage, region, 18446744073709551615ULL};
  CHECK(result_line(r) == reference::line(r, nullptr));
  CHECK(result_line(r, &context) == reference::line(r, &context));
}

}  // namespace

TEST_CASE("a result with nothing set, and one with everything set, as the document wrote them") {
  same_as_reference(CheckResult{});
  CheckResult full = full_result();
  same_as_reference(full);
  full.tls.client_certificate_sent = true;
  full.http.content_length = -1;
  full.ip_version = 6;
  full.underlying_class.reset();
  same_as_reference(full);
}

TEST_CASE("hostile bytes in every text field: escaped and replaced exactly as nlohmann does") {
  const std::string hostile[] = {
      std::string("quote \" backslash \\ slash /"),
      std::string("\x1b[31mred\x7f tab\t nl\n cr\r bs\b ff\f nul") + std::string(1, '\0') + "end",
      "\xc3\x28 \xff\xfe \xed\xa0\x80 \xe2\x82",    // invalid, a surrogate, a sequence cut short
      "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",  // valid UTF-8
      "\xe2\x82",                                   // ends inside a sequence
      "",
  };
  for (const auto& text : hostile) {
    CheckResult r = full_result();
    r.monitor = r.target = r.address = r.message = r.detail = text;
    r.hints = {text};
    r.findings = {{FailureClass::kHttpSlow, text}};
    r.diagnostics = {{text, text, {text}}};
    r.http.version = r.http.final_url = text;
    r.http.redirects[0].url = r.http.redirects[0].location = r.http.redirects[0].address = text;
    r.tls.cipher = r.tls.alpn = r.tls.verify_error = r.tls.aia_note = text;
    r.tls.server_name = text;
    r.tls.chain[0].subject = r.tls.chain[0].issuer = r.tls.chain[0].key_type = text;
    r.tls.chain[0].dns_names = {text};
    r.dns.server = r.dns.question = text;
    r.dns.rcode = text;
    r.dns.answers = {text};
    same_as_reference(r);
  }
}

TEST_CASE("random results: the same text as the document, 2 000 times") {
  std::mt19937_64 random(20261201);
  auto text = [&] {
    std::string s(random() % 12, ' ');
    for (auto& c : s) c = static_cast<char>(random() % 4 == 0 ? random() % 256 : 'a' + random() % 26);
    return s;
  };
  auto maybe = [&] { return random() % 2 == 0; };
  auto duration = [&]() -> std::optional<Micros> {
    if (maybe()) return std::nullopt;
    return Micros(static_cast<std::int64_t>(random() % 100'000'000'000ULL));
  };
  for (int i = 0; i < 2000; ++i) {
    CheckResult r;
    r.monitor = text();
    r.address = maybe() ? text() : "";
    r.ip_version = static_cast<int>(random() % 3) * 2;
    r.started_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(random() % 4'000'000'000'000ULL));
    r.failure.failure_class = static_cast<FailureClass>(random() % 10);
    r.failure.phase = static_cast<Phase>(random() % 5);
    if (maybe()) r.underlying_class = FailureClass::kDnsNxdomain;
    r.message = text();
    r.timings = {duration(), duration(), duration(), duration(), duration(), duration()};
    if (maybe()) r.http.status = static_cast<int>(random() % 600);
    if (maybe()) r.http.content_length = static_cast<std::int64_t>(random() % 3) - 1;
    r.http.body_bytes = random();
    if (maybe()) r.http.redirects = {{text(), text(), 302, text(), {duration(), duration(), {}, {}, {}, duration()}}};
    if (maybe()) r.tls.chain = {cert(text())};
    if (maybe()) r.tls.verify_result = static_cast<long>(random() % 80);
    r.tls.server_name = maybe() ? text() : "";
    r.dns.ttls = {static_cast<std::uint32_t>(random())};
    same_as_reference(r);
  }
}

TEST_CASE("json_array joins JSON texts into one array at its exact size") {
  CHECK(json_array(std::vector<std::string>{}) == "[]");
  std::vector<std::string> lines{R"({"a":1})", "[]", "\"x\"", std::string(40, '1')};
  std::string joined = json_array(lines);
  CHECK(joined == R"([{"a":1},[],"x",)" + std::string(40, '1') + "]");
  CHECK(joined.capacity() == joined.size());  // (a result array: far above the inline capacity)
  struct Held {
    std::string text;
  };
  CHECK(json_array(std::vector<Held>{{"1"}, {"2"}}, &Held::text) == "[1,2]");
}
