#include "checks/explain.h"

#include <ares.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstdio>
#include <ctime>

#include "checks/timings.h"

namespace prober::checks {
namespace {

std::string date(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

std::string ms(const std::optional<Micros>& d) {
  if (!d) return "?";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", to_ms(*d));
  return text;
}

std::string endpoint(const CheckResult& r) {
  if (r.address.empty()) return r.target;
  std::string host = r.ip_version == 6 ? "[" + r.address + "]" : r.address;
  return r.port ? host + ":" + std::to_string(r.port) : host;
}

// The name asked about, or the target when the question was not recorded.
std::string host_of(const CheckResult& r) {
  if (r.dns.question.empty()) return r.target;
  auto q = r.dns.question.find(' ');
  return q == std::string::npos ? r.dns.question : r.dns.question.substr(0, q);
}

std::string question_of(const CheckResult& r) { return r.dns.question.empty() ? r.target : r.dns.question; }

std::string dns_server(const CheckResult& r) { return r.dns.server.empty() ? "the system's resolver" : r.dns.server; }

// "DNS server 192.0.2.53:53", or "the system's resolver" when no server was named.
std::string dns_server_phrase(const CheckResult& r) {
  return r.dns.server.empty() ? "the system's resolver" : "DNS server " + r.dns.server;
}

std::string leaf_names(const CheckResult& r) {
  if (r.tls.chain.empty()) return "?";
  const auto& leaf = r.tls.chain.front();
  std::string out;
  for (const auto& n : leaf.dns_names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "CN=" + leaf.subject_cn : out;
}

const CertInfo* leaf(const CheckResult& r) { return r.tls.chain.empty() ? nullptr : &r.tls.chain.front(); }

std::string cn(const CertInfo* c) { return c ? c->subject_cn : std::string("?"); }

void tls_handshake(const CheckResult& r, std::string& message, std::vector<std::string>& hints) {
  unsigned long code = ssl_error_from_message(r.detail);
  int reason = ERR_GET_LIB(code) == ERR_LIB_SSL ? ERR_GET_REASON(code) : 0;
  switch (reason) {
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
      message = "no TLS version in common with " + endpoint(r);
      hints.push_back(
          "the server and this probe allow different TLS versions (e.g. a TLS 1.3-only server, or a "
          "server stuck on TLS 1.0/1.1 that browsers still reach through older settings)");
      return;
    case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
      message = "server accepts none of the application protocols offered (ALPN)";
      hints.push_back(
          "the server may speak only HTTP/2 (or only HTTP/1.1) and reject the other: browsers "
          "offer both, so they pass");
      return;
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
      message = "server did not answer with TLS (plain HTTP on a TLS port?)";
      hints.push_back("check the port and scheme: https:// to an http-only port gives this");
      return;
    case SSL_R_TLSV1_UNRECOGNIZED_NAME:
      message = "server does not know the name it was asked for (SNI)";
      hints.push_back("the virtual host for this name is missing on " + endpoint(r) +
                      "; a browser reaching another server (other DNS answer, CDN) would not see it");
      return;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      message = "server closed the connection during the TLS handshake";
      hints.push_back("often: no certificate configured for this name (SNI), or a filter dropping the handshake");
      return;
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      message = "server rejected the TLS handshake (no common cipher, a client certificate required, or SNI)";
      hints.push_back("browsers offer more cipher suites and may present a client certificate");
      return;
    default:
      message = "TLS handshake with " + endpoint(r) + " failed";
  }
}

void untrusted(const CheckResult& r, std::string& message, std::vector<std::string>& hints) {
  const CertInfo* l = leaf(r);
  long verify = r.tls.verify_result.value_or(0);
  if (verify == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) {
    message = "certificate '" + cn(l) + "' is self-signed";
  } else if (verify == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN) {
    const CertInfo* top = r.tls.chain.empty() ? nullptr : &r.tls.chain.back();
    message = "certificate chain ends in root '" + cn(top) + "', which this vantage does not trust";
  } else if (verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
             verify == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE || verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
    const CertInfo* top = r.tls.chain.empty() ? nullptr : &r.tls.chain.back();
    message = "issuer '" + (top ? top->issuer_cn : std::string("?")) + "' is not a root this vantage trusts";
  } else {
    message = "certificate '" + cn(l) + "' is not trusted: " + r.tls.verify_error.value_or(r.detail);
  }
  hints.push_back(
      "a browser may trust a private or corporate root installed on that machine; give this monitor "
      "the CA with tls.ca_file (--ca-file)");
}

void explain_one(CheckResult& r) {
  std::string& m = r.message;
  auto& hints = r.hints;
  const CertInfo* l = leaf(r);
  switch (r.failure.failure_class) {
    case FailureClass::kOk:
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
      return;
    case FailureClass::kDnsNxdomain:
      m = "DNS: " + host_of(r) + " does not exist (NXDOMAIN from " + dns_server(r) + ")";
      hints.push_back(
          "check the domain's registration and delegation; a browser on another resolver may still "
          "have an old answer cached");
      return;
    case FailureClass::kDnsNoAddress:
      m = r.type == "dns" ? "DNS: " + question_of(r) + ": " + r.detail
                          : "DNS: " + host_of(r) + " has no address record of the wanted family (" + r.detail + ")";
      hints.push_back("browsers use whichever family exists; this monitor was asked for a family the name lacks");
      return;
    case FailureClass::kDnsServfail:
      m = dns_server_phrase(r) + " could not resolve " + host_of(r) + " (SERVFAIL)";
      hints.push_back(
          "often broken DNSSEC or unreachable authoritative servers; other resolvers may still serve a "
          "cached answer");
      return;
    case FailureClass::kDnsRefused:
      m = dns_server_phrase(r) + " refused the query (" + r.detail + ")";
      hints.push_back("the server is not open to this vantage, or nothing listens on its port");
      if (r.detail.find(ares_strerror(ARES_ECONNREFUSED)) != std::string::npos) {
        // c-ares reports every failed send this way: an ICMP port unreachable, but also a
        // firewall on this vantage that rejects the packet before it leaves (EPERM).
        hints.push_back("no DNS answer came back at all: check this vantage's own firewall rules for port 53 too");
      }
      return;
    case FailureClass::kDnsTimeout:
      m = "no DNS answer from " + dns_server(r) + " for " + question_of(r) + " in time";
      return;
    case FailureClass::kDnsBadResponse:
      m = "malformed DNS answer from " + dns_server(r) + ": " + r.detail;
      return;
    case FailureClass::kDnsUnexpectedAnswer:
      m = "DNS answer for " + question_of(r) + " not as expected: " + r.detail;
      hints.push_back("this vantage asked " + dns_server(r) + "; another resolver or region may answer differently");
      return;
    case FailureClass::kTcpRefused:
      m = "connection to " + endpoint(r) + " refused: nothing listens on that port (or a firewall rejects)";
      return;
    case FailureClass::kTcpTimeout:
      m = "no answer to the TCP connection to " + endpoint(r) + ": packets dropped or the host is down";
      return;
    case FailureClass::kTcpUnreachable:
      m = endpoint(r) + " is unreachable from this vantage (" + r.detail + ")";
      if (r.ip_version == 6) hints.push_back("this vantage may have no IPv6 route; browsers fall back to IPv4");
      return;
    case FailureClass::kTcpReset:
      m = "connection reset by " + endpoint(r) + " during " +
          (r.failure.phase == Phase::kNone ? std::string("the connection") : std::string(to_string(r.failure.phase)));
      if (r.failure.phase == Phase::kHttp && r.http.body_bytes > 0) {
        m += " after " + std::to_string(r.http.body_bytes) + " body bytes";
      }
      return;
    case FailureClass::kTlsHandshakeFailed:
      tls_handshake(r, m, hints);
      return;
    case FailureClass::kTlsTimeout:
      m = "TLS handshake with " + endpoint(r) + " did not complete in time";
      return;
    case FailureClass::kTlsCertExpired:
      m = "certificate '" + cn(l) + "' expired on " + (l ? date(l->not_after) : "?");
      return;
    case FailureClass::kTlsCertNotYetValid:
      m = "certificate '" + cn(l) + "' is not valid before " + (l ? date(l->not_before) : "?");
      hints.push_back("check this vantage's clock as well as the certificate");
      return;
    case FailureClass::kTlsCertHostnameMismatch:
      m = "certificate is for " + leaf_names(r) + ", not for the name asked";
      hints.push_back(
          "a server or middlebox without SNI support sends its default certificate; browsers may "
          "reach a different server (CDN edge, other DNS answer)");
      return;
    case FailureClass::kTlsCertUntrusted:
      untrusted(r, m, hints);
      return;
    case FailureClass::kTlsChainIncomplete: {
      std::size_t sent = r.tls.chain.size();
      const CertInfo* top = sent ? &r.tls.chain.back() : nullptr;
      m = "server sent " + std::to_string(sent) + (sent == 1 ? " certificate" : " certificates") +
          ", not its issuer '" + (top ? top->issuer_cn : std::string("?")) + "'";
      hints.push_back(
          "browsers fetch missing intermediates (AIA) or have them cached; monitors and API clients "
          "do not");
      hints.push_back("configure the server to send the full chain: leaf, then every intermediate");
      return;
    }
    case FailureClass::kTlsCertWeak:
      m = "certificate '" + cn(l) + "' is too weak for this client's security level";
      if (l && l->key_bits > 0) {
        m += " (" + l->key_type + " " + std::to_string(l->key_bits) + "-bit key" +
             (l->signature_algorithm.empty() ? "" : ", " + l->signature_algorithm) + ")";
      }
      hints.push_back("OpenSSL refuses RSA keys under 2048 bits and SHA-1/MD5 signatures; older browsers may not");
      return;
    case FailureClass::kTlsCertExpiring:
      m = r.detail;
      return;
    case FailureClass::kHttpTimeout:
      m = "no HTTP response from " + endpoint(r) + " in time (connected, request sent, no headers)";
      return;
    case FailureClass::kHttpBodyTimeout:
      m = "HTTP " + std::to_string(r.http.status.value_or(0)) +
          " headers arrived but the body did not finish in time (" + std::to_string(r.http.body_bytes) + " bytes read)";
      return;
    case FailureClass::kHttpProtocolError:
      m = "malformed HTTP response from " + endpoint(r) + ": " + r.detail;
      if (r.detail.find("HTTP/2") != std::string::npos || r.detail.find("http2") != std::string::npos) {
        hints.push_back("HTTP/2 framing error: browsers may negotiate differently or retry over HTTP/1.1");
      }
      return;
    case FailureClass::kHttpStatus:
      m = "unexpected HTTP answer: " + r.detail;
      return;
    case FailureClass::kHttpBlocked:
      m = "blocked by bot protection or a rate limit: " + r.detail;
      hints.push_back(
          "browsers pass JavaScript challenges and carry cookies; a monitor does not: allow-list this "
          "vantage's address or user agent in the WAF / bot manager");
      return;
    case FailureClass::kHttpTooManyRedirects:
    case FailureClass::kHttpRedirectLoop:
      m = r.detail + " (" + std::to_string(r.http.redirects.size()) + " hops followed)";
      hints.push_back("a browser's cookies can end a loop that a cookieless client keeps following");
      return;
    case FailureClass::kHttpBodyTooLarge:
      m = "response body too large: " + r.detail;
      return;
    case FailureClass::kHttpBodyMismatch:
    case FailureClass::kHttpHeaderMismatch:
    case FailureClass::kHttpSlow:
      m = r.detail;
      return;
    case FailureClass::kVantageUnhealthy:
      m = "this vantage's own control checks fail; the result is not trusted: " + r.detail;
      return;
    case FailureClass::kInternalError:
      m = "internal error: " + r.detail;
      return;
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

}  // namespace

void explain(std::vector<CheckResult>& results) {
  for (auto& r : results) {
    r.hints.clear();
    explain_one(r);
  }
  compare_addresses(results);
}

}  // namespace prober::checks
