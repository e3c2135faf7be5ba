#include <doctest/doctest.h>

#include <map>

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

TEST_CASE("a name with more addresses than ip_version each probes says how many were not checked") {
  std::vector<CheckResult> results{probe("10.0.0.1", 4, FailureClass::kOk), probe("10.0.0.2", 4, FailureClass::kOk)};
  results[1].dns.addresses_left_out = 24;
  explain(results);
  CHECK(results[0].hints.empty());
  CHECK(has_hint(results[1], "the name has 40 addresses: ip_version each probes 16 of them"));
  CHECK(has_hint(results[1], "24 are not checked"));
}

TEST_CASE("every class gets its message, built from the facts at hand") {
  // One table row per class: a result with the same facts (an HTTPS target, its resolver, a
  // leaf certificate) must explain itself exactly so. A new class without a row fails here.
  const std::map<FailureClass, std::string> expected{
      {FailureClass::kOk, "HTTP 503 in 12.3 ms"},
      {FailureClass::kDnsNxdomain, "DNS: shop.test does not exist (NXDOMAIN from 192.0.2.53:53)"},
      {FailureClass::kDnsNoAddress, "DNS: shop.test has no address record of the wanted family (the detail)"},
      {FailureClass::kDnsServfail, "DNS server 192.0.2.53:53 could not resolve shop.test (SERVFAIL)"},
      {FailureClass::kDnsRefused, "DNS server 192.0.2.53:53 refused the query (the detail)"},
      {FailureClass::kDnsTimeout, "no DNS answer from 192.0.2.53:53 for shop.test A+AAAA in time"},
      {FailureClass::kDnsBadResponse, "malformed DNS answer from 192.0.2.53:53: the detail"},
      {FailureClass::kDnsUnexpectedAnswer, "DNS answer for shop.test A+AAAA not as expected: the detail"},
      {FailureClass::kTcpRefused,
       "connection to 192.0.2.7:443 refused: nothing listens on that port (or a firewall rejects)"},
      {FailureClass::kTcpTimeout,
       "no answer to the TCP connection to 192.0.2.7:443: packets dropped or the host is down"},
      {FailureClass::kTcpUnreachable, "192.0.2.7:443 is unreachable from this vantage (the detail)"},
      {FailureClass::kTcpReset, "connection reset by 192.0.2.7:443 during http"},
      {FailureClass::kTlsHandshakeFailed, "TLS handshake with 192.0.2.7:443 failed"},
      {FailureClass::kTlsTimeout, "TLS handshake with 192.0.2.7:443 did not complete in time"},
      {FailureClass::kTlsCertExpired, "certificate 'shop.test' expired on 2025-11-25 10:00 UTC"},
      {FailureClass::kTlsCertNotYetValid, "certificate 'shop.test' is not valid before 2025-11-25 10:00 UTC"},
      {FailureClass::kTlsCertHostnameMismatch, "certificate is for shop.test, www.shop.test, not for the name asked"},
      {FailureClass::kTlsCertUntrusted, "certificate 'shop.test' is not trusted: the detail"},
      {FailureClass::kTlsChainIncomplete, "server sent 1 certificate, not its issuer 'R3'"},
      {FailureClass::kTlsCertWeak, "certificate 'shop.test' is too weak for this client's security level"},
      {FailureClass::kTlsCertExpiring, "the detail"},
      {FailureClass::kTlsWeakConfig, "TLS works but is weak: the detail"},
      {FailureClass::kHttpTimeout, "no HTTP response from 192.0.2.7:443 in time (connected, request sent, no headers)"},
      {FailureClass::kHttpBodyTimeout, "HTTP 503 headers arrived but the body did not finish in time (0 bytes read)"},
      {FailureClass::kHttpProtocolError, "malformed HTTP response from 192.0.2.7:443: the detail"},
      {FailureClass::kHttpStatus, "unexpected HTTP answer: the detail"},
      {FailureClass::kHttpTooManyRedirects, "the detail (0 hops followed)"},
      {FailureClass::kHttpRedirectLoop, "the detail (0 hops followed)"},
      {FailureClass::kHttpBodyTooLarge, "response body too large: the detail"},
      {FailureClass::kHttpBodyMismatch, "the detail"},
      {FailureClass::kHttpHeaderMismatch, "the detail"},
      {FailureClass::kHttpSlow, "the detail"},
      {FailureClass::kHttpBlocked, "blocked by bot protection or a rate limit: the detail"},
      {FailureClass::kHttpDowngrade, "HTTPS downgraded to plain HTTP: the detail"},
      {FailureClass::kVantageUnhealthy,
       "this vantage's own control checks fail; the result is not trusted: the detail"},
      {FailureClass::kInternalError, "internal error: the detail"},
  };
  for (int c = static_cast<int>(FailureClass::kOk); c <= static_cast<int>(FailureClass::kInternalError); ++c) {
    auto klass = static_cast<FailureClass>(c);
    CheckResult r = probe("192.0.2.7", 4, klass);
    r.port = 443;
    r.target = "https://shop.test/";
    r.failure.phase = Phase::kHttp;
    r.failure.severity = Severity::kCritical;
    r.http.status = 503;
    r.detail = "the detail";
    r.dns.server = "192.0.2.53:53";
    r.dns.question = "shop.test A+AAAA";
    r.timings.total = Micros(12300);
    CertInfo leaf;
    leaf.subject_cn = "shop.test";
    leaf.issuer_cn = "R3";
    leaf.dns_names = {"shop.test", "www.shop.test"};
    leaf.not_before = leaf.not_after = 1764064800;
    r.tls.chain = {leaf};
    std::vector<CheckResult> results{r};
    explain(results);
    CAPTURE(to_string(klass));
    REQUIRE(expected.count(klass) == 1);
    CHECK(results[0].message == expected.at(klass));
  }
}

TEST_CASE("DNS messages name the resolver and the name even when a timeout recorded neither") {
  CheckResult r = probe("", 0, FailureClass::kDnsTimeout);
  r.target = "https://shop.test/";
  std::vector<CheckResult> results{r};
  explain(results);
  CHECK(results[0].message == "no DNS answer from the system's resolver for https://shop.test/ in time");
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
  CHECK(has_hint(results[0], "browsers fix this silently"));
  CHECK(has_hint(results[0], "curl, Java and older Android do not"));
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

TEST_CASE("a status says who answered: credentials wanted, a proxy without its backend") {
  CheckResult login = probe("192.0.2.7", 4, FailureClass::kHttpStatus);
  login.http.status = 401;
  login.http.headers = {{"WWW-Authenticate", "Basic realm=\"staff\""}};
  CheckResult gateway = probe("192.0.2.7", 4, FailureClass::kHttpStatus);
  gateway.http.status = 502;
  std::vector<CheckResult> results{login, gateway};
  explain(results);
  CHECK(has_hint(results[0], "wants credentials (Basic realm=\"staff\")"));
  CHECK(has_hint(results[1], "a proxy or load balancer answered: its backend is down"));
}
