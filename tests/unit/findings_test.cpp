// Every certificate problem of a failed probe, not only the first OpenSSL stopped at.
#include <doctest/doctest.h>

#include "checks/findings.h"

using namespace prober::checks;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;

CertInfo cert(std::string cn, std::vector<std::string> names, std::string issuer_cn = "Intermediate") {
  CertInfo c;
  c.subject = "CN=" + cn;
  c.subject_cn = cn;
  c.issuer = "CN=" + issuer_cn;
  c.issuer_cn = issuer_cn;
  c.dns_names = std::move(names);
  c.not_before = kNow - 86400;
  c.not_after = kNow + 86400 * 90;
  c.ca_issuers_url = "http://ca.example/intermediate.der";
  return c;
}

CheckResult failed(FailureClass c, std::vector<CertInfo> chain, std::string server_name = "shop.example") {
  CheckResult r;
  r.failure = Failure{c, Phase::kTls, Severity::kCritical, false};
  r.tls.chain = std::move(chain);
  r.tls.server_name = std::move(server_name);
  return r;
}

}  // namespace

TEST_CASE("names as browsers match them") {
  CertInfo c = cert("x", {"*.example.com", "api.example.org", "192.0.2.1"});
  CHECK(certificate_matches(c, "shop.example.com"));
  CHECK(certificate_matches(c, "SHOP.Example.COM."));
  CHECK_FALSE(certificate_matches(c, "example.com"));      // a wildcard needs its label
  CHECK_FALSE(certificate_matches(c, "a.b.example.com"));  // and matches one label only
  CHECK(certificate_matches(c, "api.example.org"));
  CHECK_FALSE(certificate_matches(c, "www.api.example.org"));
  CHECK(certificate_matches(c, "192.0.2.1"));
  CHECK_FALSE(certificate_matches(c, "192.0.2.10"));
}

TEST_CASE("a missing intermediate and a wrong name: the class is the first, the name a finding") {
  CheckResult r = failed(FailureClass::kTlsChainIncomplete, {cert("wrong.example", {"wrong.example"})});
  add_certificate_findings(r, kNow);
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].failure_class == FailureClass::kTlsCertHostnameMismatch);
  CHECK(r.findings[0].message == "certificate is for wrong.example, not for shop.example");
}

TEST_CASE("an untrusted chain that is also expired, for the wrong name, and without its intermediate") {
  CertInfo leaf = cert("old", {"old.example"});
  leaf.not_after = kNow - 86400;
  CheckResult r = failed(FailureClass::kTlsCertUntrusted, {leaf});
  add_certificate_findings(r, kNow);
  REQUIRE(r.findings.size() == 3);
  CHECK(r.findings[0].failure_class == FailureClass::kTlsChainIncomplete);
  CHECK(r.findings[1].failure_class == FailureClass::kTlsCertExpired);
  CHECK(r.findings[2].failure_class == FailureClass::kTlsCertHostnameMismatch);
}

TEST_CASE("no findings repeat the class, none for a good certificate or a failure elsewhere") {
  CheckResult mismatch = failed(FailureClass::kTlsCertHostnameMismatch, {cert("w", {"wrong.example"})});
  mismatch.tls.chain.push_back(cert("Intermediate", {}, "Root"));
  mismatch.tls.chain.back().is_ca = true;
  add_certificate_findings(mismatch, kNow);
  CHECK(mismatch.findings.empty());
  CheckResult timeout = failed(FailureClass::kTlsTimeout, {cert("w", {"wrong.example"})});
  add_certificate_findings(timeout, kNow);
  CHECK(timeout.findings.empty());
  CheckResult no_san = failed(FailureClass::kTlsCertExpired, {cert("shop.example", {})});
  no_san.tls.chain.front().ca_issuers_url.reset();
  add_certificate_findings(no_san, kNow);
  REQUIRE(no_san.findings.size() == 1);
  CHECK(no_san.findings[0].message ==
        "certificate 'shop.example' has no subjectAltName: browsers accept it for no name");
}
