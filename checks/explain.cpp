#include "checks/explain.h"

#include <ares.h>

#include <array>

#include "checks/address_lookup.h"
#include "checks/explain_phrases.h"
#include "checks/explain_table.h"

namespace prober::checks {
namespace {

using namespace phrases;  // NOLINT(google-build-using-namespace): the table reads as sentences

void explain_ok(const CheckResult& r, std::string& m, Hints&) {
  const CertInfo* l = leaf(r);
  if (r.type == "http") {
    m = "HTTP " + std::to_string(r.http.status.value_or(0)) + " in " + ms(r.timings.total);
  } else if (r.type == "tls") {
    m = r.tls.version.value_or("TLS") + " handshake OK in " + ms(r.timings.total);
    if (l) m += ", certificate '" + l->subject_cn + "' valid until " + date(l->not_after);
  } else if (r.type == "tcp") {
    m = "connected to " + endpoint(r) + " in " + ms(r.timings.connect);
  } else {
    m = r.dns.rcode.value_or("NOERROR") + ", " + std::to_string(r.dns.answers.size()) + " answer(s) in " +
        ms(r.timings.dns);
  }
}

// Resolution: what the resolver said, and about which name.
const Explanation kDns[] = {
    {FailureClass::kDnsNxdomain,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = "DNS: " + host_of(r) + " does not exist (NXDOMAIN from " + dns_server(r) + ")";
       hints.push_back(
           "check the domain's registration and delegation; a browser on another resolver may still have an old "
           "answer cached");
     }},
    {FailureClass::kDnsNoAddress,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = r.type == "dns" ? "DNS: " + question_of(r) + ": " + r.detail
                           : "DNS: " + host_of(r) + " has no address record of the wanted family (" + r.detail + ")";
       hints.push_back("browsers use whichever family exists; this monitor was asked for a family the name lacks");
     }},
    {FailureClass::kDnsServfail,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = dns_server_phrase(r) + " could not resolve " + host_of(r) + " (SERVFAIL)";
       hints.push_back(
           "often broken DNSSEC or unreachable authoritative servers; other resolvers may still serve a cached "
           "answer");
     }},
    {FailureClass::kDnsRefused,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = dns_server_phrase(r) + " refused the query (" + r.detail + ")";
       hints.push_back("the server is not open to this vantage, or nothing listens on its port");
       if (r.detail.find(ares_strerror(ARES_ECONNREFUSED)) != std::string::npos) {
         // c-ares reports every failed send this way: an ICMP port unreachable, but also a
         // firewall on this vantage that rejects the packet before it leaves (EPERM).
         hints.push_back("no DNS answer came back at all: check this vantage's own firewall rules for port 53 too");
       }
     }},
    {FailureClass::kDnsTimeout,
     [](const CheckResult& r, std::string& m, Hints&) {
       m = "no DNS answer from " + dns_server(r) + " for " + question_of(r) + " in time";
     }},
    {FailureClass::kDnsBadResponse,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       const std::string kSent = "the server sent ";
       if (r.detail.find(kSent) != std::string::npos) {
         // Datagrams c-ares dropped: without the wire watch this reads as a timeout.
         m = dns_server_phrase(r) + " answered " + question_of(r) +
             " with nothing usable: " + (r.detail.rfind(kSent, 0) == 0 ? r.detail.substr(kSent.size()) : r.detail);
         hints.push_back(
             "the server is up but its answers are broken (a middlebox rewriting DNS, a load balancer mixing up "
             "replies, a server bug); resolvers that retry elsewhere hide it from browsers");
         return;
       }
       m = "malformed DNS answer from " + dns_server(r) + ": " + r.detail;
     }},
    {FailureClass::kDnsUnexpectedAnswer,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = "DNS answer for " + question_of(r) + " not as expected: " + r.detail;
       hints.push_back("this vantage asked " + dns_server(r) + "; another resolver or region may answer differently");
     }},
};

// The TCP connection.
const Explanation kTcp[] = {
    {FailureClass::kTcpRefused,
     [](const CheckResult& r, std::string& m, Hints&) {
       m = "connection to " + endpoint(r) + " refused: nothing listens on that port (or a firewall rejects)";
     }},
    {FailureClass::kTcpTimeout,
     [](const CheckResult& r, std::string& m, Hints&) {
       m = "no answer to the TCP connection to " + endpoint(r) + ": packets dropped or the host is down";
     }},
    {FailureClass::kTcpUnreachable,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = endpoint(r) + " is unreachable from this vantage (" + r.detail + ")";
       if (r.ip_version == 6) hints.push_back("this vantage may have no IPv6 route; browsers fall back to IPv4");
     }},
    {FailureClass::kTcpReset,
     [](const CheckResult& r, std::string& m, Hints&) {
       m = "connection reset by " + endpoint(r) + " during " +
           (r.failure.phase == Phase::kNone ? std::string("the connection") : std::string(to_string(r.failure.phase)));
       if (r.failure.phase == Phase::kHttp && r.http.body_bytes > 0) {
         m += " after " + std::to_string(r.http.body_bytes) + " body bytes";
       }
     }},
};

// The TLS handshake and the certificate.
const Explanation kTls[] = {
    {FailureClass::kTlsHandshakeFailed, &tls_handshake},
    {FailureClass::kTlsTimeout, [](const CheckResult& r, std::string& m,
                                   Hints&) { m = "TLS handshake with " + endpoint(r) + " did not complete in time"; }},
    {FailureClass::kTlsCertExpired,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       const CertInfo* c = out_of_date(r, true);
       m = "certificate '" + cn(c) + "' expired on " + (c ? date(c->not_after) : "?");
       if (c && c != leaf(r)) {
         hints.push_back(std::string(c->self_issued ? "a root" : "an intermediate") +
                         " of the chain expired, not the site's own certificate: the server must send a current "
                         "chain (clients that build another path may still pass)");
       }
     }},
    {FailureClass::kTlsCertNotYetValid,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       const CertInfo* c = out_of_date(r, false);
       m = "certificate '" + cn(c) + "' is not valid before " + (c ? date(c->not_before) : "?");
       hints.push_back("check this vantage's clock as well as the certificate");
     }},
    {FailureClass::kTlsCertHostnameMismatch,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       const CertInfo* l = leaf(r);
       std::string asked = r.tls.server_name.empty() ? "the name asked" : r.tls.server_name;
       if (l && l->dns_names.empty()) {
         m = "certificate '" + cn(l) + "' has no subjectAltName: browsers accept it for no name, not even " + asked;
         hints.push_back(
             "browsers (Chrome 58+, Firefox 48+, Safari) and Go 1.15+ ignore the Common Name; curl and OpenSSL still "
             "accept it, which is why a command-line test passes: reissue it with " +
             asked + " in subjectAltName");
         return;
       }
       m = "certificate is for " + leaf_names(r) + ", not for " + asked;
       hints.push_back(
           "a server or middlebox without SNI support sends its default certificate; browsers may reach a different "
           "server (CDN edge, other DNS answer)");
     }},
    {FailureClass::kTlsCertUntrusted, &untrusted},
    {FailureClass::kTlsChainIncomplete,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       std::size_t sent = r.tls.chain.size();
       const CertInfo* top = sent ? &r.tls.chain.back() : nullptr;
       m = "server sent " + std::to_string(sent) + (sent == 1 ? " certificate" : " certificates") +
           ", not its issuer '" + (top ? top->issuer_cn : std::string("?")) + "'";
       hints.push_back(
           "browsers fix this silently (they fetch the issuer from the certificate's AIA URL, or have it cached); API "
           "clients, curl, Java and older Android do not, so the site works in a browser and fails for them");
       if (r.tls.aia_note) hints.push_back(*r.tls.aia_note);
       hints.push_back("configure the server to send the full chain: leaf, then every intermediate");
     }},
    {FailureClass::kTlsCertWeak,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       const CertInfo* l = leaf(r);
       m = "certificate '" + cn(l) + "' is too weak for this client's security level";
       if (l && l->key_bits > 0) {
         m += " (" + l->key_type + " " + std::to_string(l->key_bits) + "-bit key" +
              (l->signature_algorithm.empty() ? "" : ", " + l->signature_algorithm) + ")";
       }
       hints.push_back("OpenSSL refuses RSA keys under 2048 bits and SHA-1/MD5 signatures; older browsers may not");
     }},
    {FailureClass::kTlsCertExpiring, &detail_is_the_message},
    {FailureClass::kTlsWeakConfig,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = "TLS works but is weak: " + r.detail;
       hints.push_back(
           "browsers still connect but flag it in their security panel, and scanners (SSL Labs) grade it down; turn "
           "an item off with expect.tls_hygiene_ignore");
     }},
};

// Neither the target's fault nor a finding about it.
const Explanation kProber[] = {
    {FailureClass::kOk, &explain_ok},
    {FailureClass::kVantageUnhealthy,
     [](const CheckResult& r, std::string& m, Hints&) {
       m = "this vantage's own control checks fail; the result is not trusted: " + r.detail;
     }},
    {FailureClass::kInternalError,
     [](const CheckResult& r, std::string& m, Hints&) { m = "internal error: " + r.detail; }},
};

constexpr std::size_t kClasses = static_cast<std::size_t>(FailureClass::kInternalError) + 1;

// The tables by class; a class with no row is worded by its name (explain_test has a row for each).
const std::array<Explainer, kClasses>& explainers() {
  static const std::array<Explainer, kClasses> table = [] {
    std::array<Explainer, kClasses> out{};
    auto add = [&out](const auto& rows) {
      for (const auto& row : rows) out[static_cast<std::size_t>(row.failure_class)] = row.explain;
    };
    add(kDns);
    add(kTcp);
    add(kTls);
    add(http_explanations());
    add(kProber);
    return out;
  }();
  return table;
}

void explain_one(CheckResult& r) {
  Explainer explain = explainers()[static_cast<std::size_t>(r.failure.failure_class)];
  if (explain) {
    explain(r, r.message, r.hints);
  } else {
    r.message = std::string(to_string(r.failure.failure_class)) + (r.detail.empty() ? "" : ": " + r.detail);
  }
}

// One address failing while another works is what browsers hide: they try the next one.
void compare_addresses(std::vector<CheckResult>& results) {
  for (auto& failed : results) {
    if (failed.failure.failure_class == FailureClass::kOk || failed.address.empty()) continue;
    for (const auto& good : results) {
      if (good.failure.failure_class != FailureClass::kOk) continue;
      if (good.ip_version != failed.ip_version) {
        failed.hints.push_back("IPv" + std::to_string(good.ip_version) + " address " + good.address +
                               " works: browsers fall back to it (Happy Eyeballs), so the site loads for them "
                               "while IPv" +
                               std::to_string(failed.ip_version) + " clients without fallback fail");
      } else {
        failed.hints.push_back("address " + good.address +
                               " of the same name works: one backend behind "
                               "round-robin DNS is failing, and browsers retry another address");
      }
      break;
    }
  }
}

// A result that stands for fewer than all of its name's addresses says so: a failure of the others
// would not show.
void note_addresses_left_out(std::vector<CheckResult>& results) {
  for (auto& r : results) {
    std::size_t left_out = r.dns.addresses_left_out;
    if (left_out == 0) continue;
    r.hints.push_back("the name has " + std::to_string(kMaxEachAddresses + left_out) +
                      " addresses: ip_version each probes " + std::to_string(kMaxEachAddresses) +
                      " of them, the lowest of each family in turn, the same every run; " + std::to_string(left_out) +
                      " are not checked");
  }
}

}  // namespace

void explain(std::vector<CheckResult>& results) {
  for (auto& r : results) {
    r.hints.clear();
    explain_one(r);
  }
  compare_addresses(results);
  note_addresses_left_out(results);
}

}  // namespace prober::checks
