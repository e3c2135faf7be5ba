#include <doctest/doctest.h>

#include "checks/explain.h"

using namespace prober::checks;

namespace {

CheckResult probe(const char* address, int family, FailureClass c) {
  CheckResult r;
  r.type = "http";
  r.address = address;
  r.ip_version = family;
  r.failure.failure_class = c;
  r.failure.severity = c == FailureClass::kOk ? Severity::kOk : Severity::kCritical;
  r.http.status = 200;
  return r;
}

bool has_hint(const CheckResult& r, const std::string& text) {
  for (const auto& h : r.hints) {
    if (h.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("IPv6 broken while IPv4 works names the fallback browsers make") {
  std::vector<CheckResult> results{probe("127.0.0.1", 4, FailureClass::kOk),
                                   probe("::1", 6, FailureClass::kTcpTimeout)};
  explain(results);
  CHECK(results[0].hints.empty());
  CHECK(has_hint(results[1], "IPv4 address 127.0.0.1 works"));
  CHECK(has_hint(results[1], "Happy Eyeballs"));
}

TEST_CASE("one dead backend of the same family") {
  std::vector<CheckResult> results{probe("10.0.0.1", 4, FailureClass::kTcpRefused),
                                   probe("10.0.0.2", 4, FailureClass::kOk)};
  explain(results);
  CHECK(has_hint(results[0], "round-robin"));
}

TEST_CASE("every class gets a message") {
  for (int c = static_cast<int>(FailureClass::kOk); c <= static_cast<int>(FailureClass::kInternalError); ++c) {
    std::vector<CheckResult> results{probe("127.0.0.1", 4, static_cast<FailureClass>(c))};
    results[0].detail = "the detail";
    explain(results);
    CAPTURE(to_string(static_cast<FailureClass>(c)));
    CHECK_FALSE(results[0].message.empty());
  }
}

TEST_CASE("a missing intermediate names the issuer and the browser difference") {
  CheckResult r = probe("127.0.0.1", 4, FailureClass::kTlsChainIncomplete);
  CertInfo leaf;
  leaf.subject_cn = "shop.test";
  leaf.issuer_cn = "R3";
  r.tls.chain = {leaf};
  std::vector<CheckResult> results{r};
  explain(results);
  CHECK(results[0].message == "server sent 1 certificate, not its issuer 'R3'");
  CHECK(has_hint(results[0], "browsers fetch missing intermediates"));
}

TEST_CASE("a DNS query that could not be sent at all points at the vantage's own firewall too") {
  CheckResult unsent = probe("", 0, FailureClass::kDnsRefused);
  unsent.dns.server = "192.0.2.53:53";
  unsent.detail = std::string("A shop.example: ") + "Could not contact DNS servers";
  CheckResult answered = probe("", 0, FailureClass::kDnsRefused);
  answered.dns.server = "192.0.2.53:53";
  answered.detail = "rcode REFUSED";
  std::vector<CheckResult> results{unsent};
  explain(results);
  CHECK(has_hint(results[0], "this vantage's own firewall"));
  std::vector<CheckResult> refused{answered};
  explain(refused);
  CHECK(!has_hint(refused[0], "own firewall"));
}
