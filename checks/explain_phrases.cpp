#include "checks/explain_phrases.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <ctime>

#include "checks/failure.h"
#include "checks/timings.h"

namespace prober::checks::phrases {

std::string date(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

std::string ms(const std::optional<Micros>& d) { return d ? format_ms(to_ms(*d)) : "?"; }

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

const CertInfo* out_of_date(const CheckResult& r, bool expired) {
  const std::int64_t now = std::time(nullptr);
  for (const auto* chain : {&r.tls.chain, &r.tls.verified_chain}) {
    for (const auto& c : *chain) {
      if (expired ? c.not_after < now : c.not_before > now) return &c;
    }
  }
  return leaf(r);
}

std::string cn(const CertInfo* c) { return c ? c->subject_cn : std::string("?"); }

namespace {

// Alerts a server sends about the client's certificate (or its absence).
bool is_client_certificate_alert(int reason) {
  switch (reason) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return true;
    default:
      return false;
  }
}

// The server wanted a client certificate: none was configured, or the one sent was refused.
bool client_certificate(const CheckResult& r, int reason, std::string& message, Hints& hints) {
  bool asked = r.tls.client_certificate_requested || reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED;
  if (r.tls.client_certificate_sent && is_client_certificate_alert(reason)) {
    message = "the server rejected this vantage's client certificate (" + alert_name(reason) + ")";
    hints.push_back("check that the certificate is issued by a CA the server trusts, is not expired, and is allowed");
    return true;
  }
  if (!r.tls.client_certificate_sent && asked &&
      (is_client_certificate_alert(reason) || reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE)) {
    message = "the server requires a client certificate (mutual TLS) and none was sent";
    hints.push_back(
        "give the monitor one with tls.cert_file and tls.key_file (prober check --cert/--key); a browser may have one "
        "installed (corporate device, smart card) and present it without asking");
    return true;
  }
  return false;
}

}  // namespace

void detail_is_the_message(const CheckResult& r, std::string& message, Hints&) { message = r.detail; }

std::string alert_name(int reason) {
  const char* text = ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, reason));
  return text ? text : "TLS alert " + std::to_string(reason - SSL_AD_REASON_OFFSET);
}

void tls_handshake(const CheckResult& r, std::string& message, Hints& hints) {
  unsigned long code = ssl_error_from_message(r.detail);
  int reason = ERR_GET_LIB(code) == ERR_LIB_SSL ? ERR_GET_REASON(code) : 0;
  if (client_certificate(r, reason, message, hints)) return;
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
      message =
          "server rejected the TLS handshake (no cipher or key exchange group in common, a client certificate "
          "required, or SNI)";
      hints.push_back(
          "browsers offer more cipher suites and key exchange groups (tls.groups narrows this monitor's) and may "
          "present a client certificate");
      return;
    default:
      message = "TLS handshake with " + endpoint(r) + " failed";
  }
}

void untrusted(const CheckResult& r, std::string& message, Hints& hints) {
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
  if (r.tls.aia_note) hints.push_back(*r.tls.aia_note);
  hints.push_back(
      "a browser may trust a private or corporate root installed on that machine; give this monitor "
      "the CA with tls.ca_file (--ca-file)");
}

}  // namespace prober::checks::phrases
