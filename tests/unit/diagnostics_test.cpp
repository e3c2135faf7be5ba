// The diagnostics' conclusions from what their follow-ups saw, and which follow-ups a failure
// calls for. The follow-ups themselves run against real servers in test_diagnostics.
#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include "diagnostics/authoritative_dns.h"
#include "diagnostics/browser_retry.h"
#include "diagnostics/client_hello.h"
#include "diagnostics/diagnosis_runner.h"
#include "diagnostics/path_trace.h"
#include "diagnostics/plan.h"
#include "diagnostics/tls_hellos.h"

using namespace prober;
using namespace prober::diagnostics;

namespace {

DnsAsked answered(int rcode, bool aa, std::vector<std::string> answers, std::optional<std::string> serial = {}) {
  DnsAsked a;
  a.done = true;
  a.rcode = rcode;
  a.authoritative = aa;
  a.answers = std::move(answers);
  a.serial = std::move(serial);
  a.ms = 1.5;
  return a;
}

AuthoritativeServer server(std::string name, std::string address, DnsAsked udp, DnsAsked tcp, DnsAsked soa) {
  return AuthoritativeServer{std::move(name), std::move(address), std::move(udp), std::move(soa), std::move(tcp)};
}

AuthoritativeServer good(std::string name, std::string address, std::string serial = "7",
                         std::string answer = "192.0.2.80") {
  return server(name, address, answered(0, true, {answer}), answered(0, true, {answer}), answered(0, true, {}, serial));
}

}  // namespace

TEST_CASE("authoritative servers: lame, disagreeing, TCP-less, or the resolver's fault") {
  std::string q = "www.shop.test A";
  SUBCASE("a server that refuses the zone is lame, and the summary names it") {
    auto d = summarize_authoritative(
        "shop.test", q,
        {good("ns1.shop.test", "192.0.2.11"),
         server("ns2.shop.test", "192.0.2.12", answered(5, false, {}), answered(5, false, {}), answered(5, false, {}))},
        false, "192.0.2.53:53");
    CHECK(d.kind == "dns");
    CHECK(d.summary ==
          "1 of 2 authoritative servers of shop.test is lame or unreachable: ns2.shop.test (192.0.2.12) "
          "answers REFUSED");
    REQUIRE(d.details.size() == 2);
    CHECK(d.details[0] ==
          "ns1.shop.test (192.0.2.11): UDP NOERROR aa 192.0.2.80 (1.5 ms); TCP NOERROR aa 192.0.2.80 (1.5 ms); SOA "
          "NOERROR aa serial 7 (1.5 ms)");
  }
  SUBCASE("an answer without the AA flag is not authoritative; silence is unreachable") {
    DnsAsked silent;
    silent.done = true;
    silent.status = ARES_ETIMEOUT;
    silent.error = "Timeout while contacting DNS servers";
    auto d = summarize_authoritative("shop.test", q,
                                     {server("a.ns", "192.0.2.1", answered(0, false, {"192.0.2.80"}),
                                             answered(0, false, {}), answered(0, false, {})),
                                      server("b.ns", "192.0.2.2", silent, silent, silent)},
                                     true, "r");
    CHECK(d.summary.starts_with("all 2 authoritative servers of shop.test are lame or unreachable: "));
    CHECK(d.summary.find("a.ns (192.0.2.1) answers without authority") != std::string::npos);
    CHECK(d.summary.find("b.ns (192.0.2.2) no answer (Timeout while contacting DNS servers)") != std::string::npos);
  }
  SUBCASE("different serials: the servers disagree") {
    auto d = summarize_authoritative("shop.test", q, {good("ns1", "192.0.2.11", "7"), good("ns2", "192.0.2.12", "8")},
                                     false, "r");
    CHECK(d.summary ==
          "the authoritative servers of shop.test disagree on the zone's serial: '7' from ns1 but '8' from ns2");
  }
  SUBCASE("same serial, different answers") {
    auto d = summarize_authoritative(
        "shop.test", q, {good("ns1", "192.0.2.11", "7", "192.0.2.80"), good("ns2", "192.0.2.12", "7", "192.0.2.81")},
        false, "r");
    CHECK(d.summary.starts_with("the authoritative servers of shop.test give different answers for www.shop.test A"));
  }
  SUBCASE("UDP works, TCP does not") {
    DnsAsked refused_tcp;
    refused_tcp.done = true;
    refused_tcp.status = ARES_ECONNREFUSED;
    refused_tcp.error = "Could not contact DNS servers";
    auto d = summarize_authoritative(
        "shop.test", q,
        {server("ns1", "192.0.2.11", answered(0, true, {"192.0.2.80"}), refused_tcp, answered(0, true, {}, "7"))},
        false, "r");
    CHECK(d.summary.starts_with("answered over UDP but not over TCP by ns1 (192.0.2.11)"));
  }
  SUBCASE("every server fine while the check failed at DNS: the resolver's fault") {
    auto d = summarize_authoritative("shop.test", q, {good("ns1", "192.0.2.11"), good("ns2", "192.0.2.12")}, true,
                                     "192.0.2.53:53");
    CHECK(d.summary ==
          "all 2 authoritative servers of shop.test answer www.shop.test A alike: the failure is the "
          "resolver's (192.0.2.53:53), not the zone's");
  }
}

TEST_CASE("path: reached, stopped, unreachable, nothing, or no way out") {
  auto hop = [](int ttl, std::optional<std::string> address, std::string said, bool reached = false,
                bool unreachable = false) {
    return Hop{ttl, std::move(address), 0.5, std::move(said), reached, unreachable};
  };
  std::chrono::milliseconds waited(3000);
  SUBCASE("the destination answers: the path is fine, the port is the problem") {
    auto d = summarize_path("198.51.100.80", 443,
                            {hop(1, "192.0.2.2", "time exceeded"), hop(2, "198.51.100.80", "port unreachable", true),
                             hop(3, "198.51.100.80", "port unreachable", true)},
                            std::nullopt, checks::FailureClass::kTcpTimeout, waited);
    CHECK(d.summary ==
          "the path reaches 198.51.100.80 in 2 hops, yet TCP port 443 does not answer: a firewall at the "
          "host or next to it drops the connection");
    CHECK(d.details.size() == 2);  // nothing after the destination
  }
  SUBCASE("nothing beyond a hop: the path stops there") {
    auto d = summarize_path("198.51.100.80", 80,
                            {hop(1, "192.0.2.2", "time exceeded"), hop(2, std::nullopt, ""), hop(3, std::nullopt, "")},
                            std::nullopt, checks::FailureClass::kTcpTimeout, waited);
    CHECK(d.summary.starts_with("the path stops after hop 1 (192.0.2.2): nothing beyond it answered within 3000 ms"));
    CHECK(d.details == std::vector<std::string>{" 1  192.0.2.2  0.5 ms  time exceeded", " 2-3  * (no answer)"});
  }
  SUBCASE("a router says unreachable") {
    auto d =
        summarize_path("198.51.100.80", 80,
                       {hop(1, "192.0.2.2", "time exceeded"), hop(2, "192.0.2.3", "host unreachable", false, true)},
                       std::nullopt, checks::FailureClass::kTcpUnreachable, waited);
    CHECK(d.summary == "hop 2 (192.0.2.3) says 198.51.100.80 cannot be reached: host unreachable");
  }
  SUBCASE("no hop at all, and a local refusal") {
    CHECK(summarize_path("198.51.100.80", 80, {hop(1, std::nullopt, "")}, std::nullopt,
                         checks::FailureClass::kTcpTimeout, waited)
              .summary.starts_with("no hop answered, not even the first"));
    CHECK(summarize_path("198.51.100.80", 80, {}, std::string("Network is unreachable"),
                         checks::FailureClass::kTcpUnreachable, waited)
              .summary == "this vantage cannot send to 198.51.100.80: Network is unreachable");
  }
}

TEST_CASE("ClientHello shapes: size, post-quantum, refusals") {
  auto outcome = [](std::string name, bool ok, std::size_t bytes, bool post_quantum = false,
                    std::vector<std::string> alerts = {}) {
    HelloOutcome o;
    o.shape = HelloShape{std::move(name), 0, 0, "", post_quantum};
    o.done = true;
    o.ok = ok;
    o.hello_bytes = bytes;
    o.alerts = std::move(alerts);
    o.error = ok ? "" : (o.alerts.empty() ? "Connection reset by peer" : "tlsv1 alert protocol version");
    if (ok) o.version = "TLSv1.3";
    return o;
  };
  SUBCASE("only the post-quantum hello fails") {
    auto d = summarize_hellos(
        {outcome("default", true, 300), outcome("1.2", true, 200), outcome("pq", false, 1500, true)}, true);
    CHECK(d.summary.starts_with("only the post-quantum ClientHello (X25519MLKEM768, 1500 bytes) fails"));
  }
  SUBCASE("larger hellos fail, smaller pass") {
    auto d =
        summarize_hellos({outcome("default", false, 330), outcome("1.2", true, 220), outcome("1.3", true, 240)}, false);
    CHECK(d.summary.starts_with("ClientHellos of 330 bytes or more fail (default) while smaller ones pass (1.2, 1.3)"));
    CHECK(d.details.back().find("not tried") != std::string::npos);  // this OpenSSL cannot send the PQ share
  }
  SUBCASE("a server's alert is a refusal, not a size problem") {
    auto d = summarize_hellos({outcome("default", true, 330), outcome("1.2", true, 220),
                               outcome("1.3", false, 240, false, {"received fatal protocol version"})},
                              true);
    CHECK(d.summary == "the server refuses 1.3 (tlsv1 alert protocol version) while default, 1.2 pass");
  }
  SUBCASE("all pass, all fail") {
    CHECK(summarize_hellos({outcome("a", true, 1), outcome("b", true, 2)}, true)
              .summary.starts_with("every ClientHello shape completes"));
    CHECK(summarize_hellos({outcome("a", false, 1), outcome("b", false, 2)}, true)
              .summary.starts_with("every ClientHello shape fails"));
  }
}

TEST_CASE("browser retry: bot wall or broken origin") {
  checks::CheckResult monitor, browser;
  monitor.failure = {checks::FailureClass::kHttpStatus, checks::Phase::kHttp, checks::Severity::kCritical};
  monitor.http.status = 403;
  browser.http.status = 200;
  auto d = summarize_browser_retry(monitor, browser);
  CHECK(d.summary.starts_with("a browser's headers get ok (HTTP 200) where the monitor gets HTTP 403 (http_status)"));
  CHECK(d.summary.find("bot wall") != std::string::npos);
  browser = monitor;
  CHECK(summarize_browser_retry(monitor, browser).summary.find("the origin itself fails") != std::string::npos);

  config::MonitorConfig m;
  m.request.edit().headers = {{"user-agent", "mine"}, {"Authorization", "Bearer x"}};
  auto as = as_browser(m);
  int user_agents = 0;
  for (const auto& [name, value] : as.request->headers) {
    if (name == "User-Agent" || name == "user-agent") ++user_agents;
  }
  CHECK(user_agents == 1);
  CHECK(as.request->headers[0] == std::pair<std::string, std::string>("Authorization", "Bearer x"));  // kept
}

TEST_CASE("plan: what fits the failure, or everything on demand") {
  config::MonitorConfig m;
  m.type = config::CheckType::kHttp;
  m.target = "https://shop.example/";
  checks::CheckResult r;
  r.address = "192.0.2.80";
  r.port = 443;
  auto failing = [&](checks::FailureClass c, checks::Phase p) {
    r.failure = {c, p, checks::Severity::kCritical};
    return plan_for(m, r, false);
  };
  auto dns = failing(checks::FailureClass::kDnsServfail, checks::Phase::kDns);
  CHECK(dns.dns_name == "shop.example");
  CHECK_FALSE(dns.path);
  CHECK_FALSE(dns.http);
  auto connect = failing(checks::FailureClass::kTcpTimeout, checks::Phase::kConnect);
  CHECK(connect.path);
  CHECK_FALSE(connect.dns_name);
  CHECK_FALSE(connect.tls);
  auto handshake = failing(checks::FailureClass::kTlsHandshakeFailed, checks::Phase::kTls);
  CHECK(handshake.tls);
  CHECK(handshake.server_name == "shop.example");
  CHECK(failing(checks::FailureClass::kTlsCertExpired, checks::Phase::kTls).empty());  // precise already
  CHECK(failing(checks::FailureClass::kHttpStatus, checks::Phase::kHttp).http);
  r.failure = {};
  CHECK(plan_for(m, r, false).empty());  // nothing failed
  auto all = plan_for(m, r, true);
  CHECK(all.dns_name == "shop.example");
  CHECK(all.path);
  CHECK(all.tls);
  CHECK(all.http);
  m.target = "http://192.0.2.80/";
  CHECK_FALSE(plan_for(m, r, true).dns_name);  // an address literal asks no DNS
  CHECK_FALSE(plan_for(m, r, true).tls);
}

TEST_CASE("the agent's diagnoses: one per monitor at a time, min_interval apart, max_concurrent at once") {
  // Loopback only: a TCP monitor refused by 127.0.0.1, whose diagnosis traces the one-hop path.
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    io::CurlMultiDriver curl(&loop);
    io::ResolverPool resolvers(&loop);
    checks::TlsContexts tls;
    std::vector<std::string> reported;
    DiagnosisRunner runner(&loop, checks::CheckEnv{curl, resolvers, tls},
                           [&](const std::string& m, checks::FailureClass, std::vector<checks::Diagnostic> d) {
                             REQUIRE(d.size() == 1);
                             CHECK(d[0].kind == "path");
                             reported.push_back(m);
                           });
    config::DiagnosticsConfig policy;
    policy.timeout = std::chrono::milliseconds(1000);
    policy.min_interval = std::chrono::minutes(30);
    policy.max_concurrent = 1;
    config::MonitorConfig a, b;
    a.name = "a";
    a.type = b.type = config::CheckType::kTcp;
    a.target = b.target = "127.0.0.1:1";
    b.name = "b";
    checks::CheckResult refused;
    refused.address = "127.0.0.1";
    refused.port = 1;
    refused.failure = {checks::FailureClass::kTcpRefused, checks::Phase::kConnect, checks::Severity::kCritical};
    using std::chrono::minutes;
    using Offer = DiagnosisRunner::Offer;
    CHECK(runner.offer(policy, a, refused, minutes(0)) == Offer::kStarted);
    CHECK(runner.offer(policy, a, refused, minutes(0)) == Offer::kRunning);
    CHECK(runner.offer(policy, b, refused, minutes(0)) == Offer::kBusy);
    while (reported.empty() && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    CHECK(reported == std::vector<std::string>{"a"});
    CHECK(runner.offer(policy, a, refused, minutes(29)) == Offer::kRateLimited);
    CHECK(runner.offer(policy, b, refused, minutes(29)) == Offer::kStarted);
    runner.forget("b");  // removed by a reload: never reported
    CHECK(runner.offer(policy, a, refused, minutes(30)) == Offer::kStarted);
    checks::CheckResult ok = refused;
    ok.failure = {};
    CHECK(runner.offer(policy, b, ok, minutes(60)) == Offer::kNothingFits);
    policy.enabled = false;
    CHECK(runner.offer(policy, b, refused, minutes(60)) == Offer::kDisabled);
    while (reported.size() < 2 && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    CHECK(reported == std::vector<std::string>{"a", "a"});
  }
  while (uv_run(&loop, UV_RUN_NOWAIT) != 0) {
  }
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("the groups a ClientHello offers, read from its bytes") {
  // A TLS 1.3 ClientHello: session id of 0, two cipher suites, null compression, then
  // supported_groups (x25519, secp256r1, X25519MLKEM768) and key_share (X25519MLKEM768 with a
  // 3-byte stand-in key, x25519 with 2 bytes).
  std::vector<unsigned char> hello = {1, 0, 0, 0, 3, 3};
  hello.insert(hello.end(), 32, 0xaa);  // random
  for (unsigned char b : {0, 0, 4, 0x13, 1, 0x13, 2, 1, 0}) hello.push_back(b);
  std::vector<unsigned char> extensions = {0x00, 0x0a, 0,    8,    0,    6, 0x00, 0x1d, 0x00, 0x17, 0x11,
                                           0xec, 0x00, 0x33, 0,    15,   0, 13,   0x11, 0xec, 0,    3,
                                           1,    2,    3,    0x00, 0x1d, 0, 2,    4,    5};
  hello.push_back(static_cast<unsigned char>(extensions.size() >> 8));
  hello.push_back(static_cast<unsigned char>(extensions.size()));
  hello.insert(hello.end(), extensions.begin(), extensions.end());
  auto offered = offered_groups(hello.data(), hello.size());
  CHECK(offered.groups == std::vector<std::string>{"x25519", "secp256r1", "X25519MLKEM768"});
  CHECK(offered.key_shares == std::vector<std::string>{"X25519MLKEM768", "x25519"});
  // Cut anywhere: what was read so far, never past the end.
  for (std::size_t size = 0; size < hello.size(); ++size) {
    auto cut = offered_groups(hello.data(), size);
    CHECK(cut.groups.size() <= 3);
  }
  CHECK(group_name(0x1234) == "0x1234");
}
