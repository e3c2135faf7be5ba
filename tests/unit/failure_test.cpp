// The classifier's table: every raw code it handles, and the class, phase and severity it gives.
#include <ares.h>
#include <arpa/nameser.h>
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cerrno>
#include <set>

#include "checks/failure.h"

using namespace prober::checks;

namespace {

std::string name(const Failure& f) {
  return std::string(to_string(f.failure_class)) + "/" + std::string(to_string(f.phase)) + "/" +
         std::string(to_string(f.severity));
}

TransferOutcome connected_tls() {
  TransferOutcome o;
  o.uses_tls = true;
  o.connected = true;
  return o;
}

}  // namespace

TEST_CASE("DNS: ares status x rcode x records") {
  struct Row {
    int status, rcode;
    bool records;
    const char* expected;
  } rows[] = {
      {ARES_SUCCESS, ns_r_noerror, true, "ok//ok"},
      {ARES_SUCCESS, ns_r_noerror, false, "dns_no_address/dns/critical"},
      {ARES_SUCCESS, ns_r_nxdomain, false, "dns_nxdomain/dns/critical"},
      {ARES_SUCCESS, ns_r_servfail, false, "dns_servfail/dns/critical"},
      {ARES_SUCCESS, ns_r_refused, false, "dns_refused/dns/critical"},
      {ARES_SUCCESS, ns_r_formerr, false, "dns_bad_response/dns/critical"},
      {ARES_SUCCESS, ns_r_notimpl, false, "dns_bad_response/dns/critical"},
      {ARES_ENOTFOUND, 0, false, "dns_nxdomain/dns/critical"},
      {ARES_ENODATA, 0, false, "dns_no_address/dns/critical"},
      {ARES_ESERVFAIL, 0, false, "dns_servfail/dns/critical"},
      {ARES_EREFUSED, 0, false, "dns_refused/dns/critical"},
      {ARES_ECONNREFUSED, 0, false, "dns_refused/dns/critical"},
      {ARES_ETIMEOUT, 0, false, "dns_timeout/dns/critical"},
      {ARES_EBADRESP, 0, false, "dns_bad_response/dns/critical"},
      {ARES_EFORMERR, 0, false, "dns_bad_response/dns/critical"},
      {ARES_EBADNAME, 0, false, "internal_error/dns/critical"},
      {ARES_ENOMEM, 0, false, "internal_error/dns/critical"},
      {ARES_EDESTRUCTION, 0, false, "internal_error/dns/critical"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.status);
    CAPTURE(row.rcode);
    CHECK(name(classify_dns(row.status, row.rcode, row.records)) == row.expected);
  }
  CHECK(classify_dns(ARES_ETIMEOUT, 0, false).retriable);
  CHECK_FALSE(classify_dns(ARES_ENOTFOUND, 0, false).retriable);
}

TEST_CASE("connect: CURLE_COULDNT_CONNECT x errno") {
  struct Row {
    long os_errno;
    const char* expected;
  } rows[] = {
      {ECONNREFUSED, "tcp_refused/connect/critical"},      {ETIMEDOUT, "tcp_timeout/connect/critical"},
      {ENETUNREACH, "tcp_unreachable/connect/critical"},   {EHOSTUNREACH, "tcp_unreachable/connect/critical"},
      {EADDRNOTAVAIL, "tcp_unreachable/connect/critical"}, {EAFNOSUPPORT, "tcp_unreachable/connect/critical"},
      {EACCES, "tcp_unreachable/connect/critical"},        {EPERM, "tcp_unreachable/connect/critical"},
      {ECONNRESET, "tcp_reset/connect/critical"},          {0, "tcp_unreachable/connect/critical"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.os_errno);
    TransferOutcome o;
    o.code = CURLE_COULDNT_CONNECT;
    o.os_errno = row.os_errno;
    CHECK(name(classify_transfer(o)) == row.expected);
  }
}

TEST_CASE("TLS: certificate verification results") {
  struct Row {
    long verify;
    bool missing_intermediate;
    const char* expected;
  } rows[] = {
      {X509_V_OK, false, "tls_cert_hostname_mismatch/tls/critical"},  // curl's own host check failed
      {X509_V_ERR_HOSTNAME_MISMATCH, false, "tls_cert_hostname_mismatch/tls/critical"},
      {X509_V_ERR_IP_ADDRESS_MISMATCH, false, "tls_cert_hostname_mismatch/tls/critical"},
      {X509_V_ERR_CERT_HAS_EXPIRED, false, "tls_cert_expired/tls/critical"},
      {X509_V_ERR_CERT_NOT_YET_VALID, false, "tls_cert_not_yet_valid/tls/critical"},
      {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, false, "tls_cert_untrusted/tls/critical"},
      {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, false, "tls_cert_untrusted/tls/critical"},
      {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, false, "tls_cert_untrusted/tls/critical"},
      {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, true, "tls_chain_incomplete/tls/critical"},
      {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, true, "tls_chain_incomplete/tls/critical"},
      {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, true, "tls_chain_incomplete/tls/critical"},
      {X509_V_ERR_EE_KEY_TOO_SMALL, false, "tls_cert_weak/tls/critical"},
      {X509_V_ERR_CA_KEY_TOO_SMALL, false, "tls_cert_weak/tls/critical"},
      {X509_V_ERR_CA_MD_TOO_WEAK, false, "tls_cert_weak/tls/critical"},
      {X509_V_ERR_CERT_REVOKED, false, "tls_cert_untrusted/tls/critical"},
      {X509_V_ERR_CERT_SIGNATURE_FAILURE, false, "tls_cert_untrusted/tls/critical"},
      {X509_V_ERR_INVALID_CA, false, "tls_cert_untrusted/tls/critical"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.verify);
    TransferOutcome o = connected_tls();
    o.code = CURLE_PEER_FAILED_VERIFICATION;
    o.verify_result = row.verify;
    o.missing_intermediate = row.missing_intermediate;
    CHECK(name(classify_transfer(o)) == row.expected);
  }
}

TEST_CASE("TLS: handshake errors from OpenSSL's error queue") {
  auto ssl = [](int reason) { return ERR_PACK(ERR_LIB_SSL, 0, reason); };
  struct Row {
    CURLcode code;
    unsigned long ssl_error;
    long verify;
    long os_errno;
    const char* expected;
  } rows[] = {
      {CURLE_SSL_CONNECT_ERROR, ssl(SSL_R_TLSV1_ALERT_PROTOCOL_VERSION), 0, 0, "tls_handshake_failed/tls/critical"},
      {CURLE_SSL_CONNECT_ERROR, ssl(SSL_R_WRONG_VERSION_NUMBER), 0, 0, "tls_handshake_failed/tls/critical"},
      {CURLE_SSL_CONNECT_ERROR, ssl(SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL), 0, 0,
       "tls_handshake_failed/tls/critical"},
      {CURLE_SSL_CONNECT_ERROR, ssl(SSL_R_EE_KEY_TOO_SMALL), 0, 0, "tls_cert_weak/tls/critical"},
      {CURLE_SSL_CONNECT_ERROR, ssl(SSL_R_CA_MD_TOO_WEAK), 0, 0, "tls_cert_weak/tls/critical"},
      {CURLE_SSL_CONNECT_ERROR, ssl(SSL_R_CERTIFICATE_VERIFY_FAILED), X509_V_ERR_CERT_HAS_EXPIRED, 0,
       "tls_cert_expired/tls/critical"},
      {CURLE_SSL_CONNECT_ERROR, 0, X509_V_ERR_CERT_NOT_YET_VALID, 0, "tls_cert_not_yet_valid/tls/critical"},
      {CURLE_SSL_CONNECT_ERROR, 0, 0, ECONNRESET, "tcp_reset/tls/critical"},
      {CURLE_SSL_CONNECT_ERROR, 0, 0, 0, "tls_handshake_failed/tls/critical"},
      {CURLE_SSL_CIPHER, 0, 0, 0, "tls_handshake_failed/tls/critical"},
      {CURLE_SSL_CACERT_BADFILE, 0, 0, 0, "internal_error/tls/critical"},
      {CURLE_SSL_CERTPROBLEM, 0, 0, 0, "internal_error/tls/critical"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.code);
    CAPTURE(row.ssl_error);
    TransferOutcome o = connected_tls();
    o.code = row.code;
    o.ssl_error = row.ssl_error;
    o.verify_result = row.verify;
    o.os_errno = row.os_errno;
    CHECK(name(classify_transfer(o)) == row.expected);
  }
}

TEST_CASE("timeouts are charged to the phase in progress") {
  CHECK(name(classify_timeout(Phase::kDns)) == "dns_timeout/dns/critical");
  CHECK(name(classify_timeout(Phase::kConnect)) == "tcp_timeout/connect/critical");
  CHECK(name(classify_timeout(Phase::kTls)) == "tls_timeout/tls/critical");
  CHECK(name(classify_timeout(Phase::kHttp, false)) == "http_timeout/http/critical");
  CHECK(name(classify_timeout(Phase::kHttp, true)) == "http_body_timeout/http/critical");

  TransferOutcome o;
  o.code = CURLE_OPERATION_TIMEDOUT;
  CHECK(name(classify_transfer(o)) == "tcp_timeout/connect/critical");
  o.connected = true;
  o.uses_tls = true;
  CHECK(name(classify_transfer(o)) == "tls_timeout/tls/critical");
  o.tls_done = true;
  CHECK(name(classify_transfer(o)) == "http_timeout/http/critical");
  o.headers_received = true;
  CHECK(name(classify_transfer(o)) == "http_body_timeout/http/critical");
}

TEST_CASE("HTTP transfer errors") {
  struct Row {
    CURLcode code;
    long os_errno;
    bool body_too_large;
    const char* expected;
  } rows[] = {
      {CURLE_OK, 0, false, "ok//ok"},
      {CURLE_RECV_ERROR, ECONNRESET, false, "tcp_reset/http/critical"},
      {CURLE_SEND_ERROR, EPIPE, false, "tcp_reset/http/critical"},
      {CURLE_PARTIAL_FILE, ECONNRESET, false, "tcp_reset/http/critical"},
      {CURLE_PARTIAL_FILE, 0, false, "http_protocol_error/http/critical"},
      {CURLE_RECV_ERROR, 0, false, "http_protocol_error/http/critical"},
      {CURLE_GOT_NOTHING, 0, false, "http_protocol_error/http/critical"},
      {CURLE_WEIRD_SERVER_REPLY, 0, false, "http_protocol_error/http/critical"},
      {CURLE_UNSUPPORTED_PROTOCOL, 0, false, "http_protocol_error/http/critical"},  // HTTP/0.9 answer
      {CURLE_HTTP2, 0, false, "http_protocol_error/http/critical"},
      {CURLE_HTTP2_STREAM, 0, false, "http_protocol_error/http/critical"},
      {CURLE_BAD_CONTENT_ENCODING, 0, false, "http_protocol_error/http/critical"},
      {CURLE_OUT_OF_MEMORY, 0, false, "http_protocol_error/http/critical"},
      {static_cast<CURLcode>(100), 0, false, "http_protocol_error/http/critical"},  // curl 8's CURLE_TOO_LARGE
      {CURLE_FILESIZE_EXCEEDED, 0, false, "http_body_too_large/http/critical"},
      {CURLE_WRITE_ERROR, 0, true, "http_body_too_large/http/critical"},
      {CURLE_WRITE_ERROR, 0, false, "internal_error/http/critical"},
      {CURLE_TOO_MANY_REDIRECTS, 0, false, "http_too_many_redirects/http/critical"},
      {CURLE_ABORTED_BY_CALLBACK, 0, false, "internal_error/http/critical"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.code);
    TransferOutcome o = connected_tls();
    o.tls_done = true;
    o.code = row.code;
    o.os_errno = row.os_errno;
    o.body_too_large = row.body_too_large;
    CHECK(name(classify_transfer(o)) == row.expected);
  }
}

TEST_CASE("validators map to their classes with the severity given") {
  CHECK(name(classify_validation(Validator::kStatus)) == "http_status/http/critical");
  CHECK(name(classify_validation(Validator::kBlocked)) == "http_blocked/http/critical");
  CHECK(name(classify_validation(Validator::kBody)) == "http_body_mismatch/http/critical");
  CHECK(name(classify_validation(Validator::kHeader)) == "http_header_mismatch/http/critical");
  CHECK(name(classify_validation(Validator::kLatency, Severity::kWarning)) == "http_slow/http/warning");
  CHECK(name(classify_validation(Validator::kCertExpiry, Severity::kWarning)) == "tls_cert_expiring/tls/warning");
  CHECK(name(classify_validation(Validator::kRedirectLoop)) == "http_redirect_loop/http/critical");
  CHECK(name(classify_validation(Validator::kTooManyRedirects)) == "http_too_many_redirects/http/critical");
  CHECK(name(classify_validation(Validator::kDnsAnswer)) == "dns_unexpected_answer/dns/critical");
}

TEST_CASE("bot walls and rate limits are recognised by their headers") {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  CHECK(blocking_signature(403, Headers{{"CF-Mitigated", "challenge"}}).value() == "CF-Mitigated: challenge");
  CHECK(blocking_signature(403, Headers{{"Server", "cloudflare"}}).has_value());
  CHECK(blocking_signature(403, Headers{{"Server", "AkamaiGHost"}}).has_value());
  CHECK(blocking_signature(503, Headers{{"x-datadome", "protected"}}).has_value());
  CHECK(blocking_signature(403, Headers{{"x-amzn-waf-action", "captcha"}}).has_value());
  CHECK(blocking_signature(429, Headers{}).value() == "429 Too Many Requests");
  CHECK(blocking_signature(429, Headers{{"Retry-After", "30"}}).value() == "429 with retry-after: 30");
  // An origin's own errors are not a wall.
  CHECK_FALSE(blocking_signature(403, Headers{{"Server", "nginx"}}).has_value());
  CHECK_FALSE(blocking_signature(503, Headers{{"Retry-After", "120"}}).has_value());
  CHECK_FALSE(blocking_signature(503, Headers{{"Server", "cloudflare"}}).has_value());
  CHECK_FALSE(blocking_signature(500, Headers{{"cf-mitigated", "challenge"}}).has_value());
}

TEST_CASE("class names round-trip and are unique") {
  std::set<std::string> seen;
  for (int c = static_cast<int>(FailureClass::kOk); c <= static_cast<int>(FailureClass::kInternalError); ++c) {
    auto name = to_string(static_cast<FailureClass>(c));
    CHECK(seen.insert(std::string(name)).second);
    CHECK(failure_class_from_string(name) == static_cast<FailureClass>(c));
  }
  CHECK(seen.size() == 36);
  CHECK_FALSE(failure_class_from_string("nope").has_value());
}

TEST_CASE("OpenSSL error codes are read from curl's message") {
  CHECK(ssl_error_from_message("OpenSSL/3.0.11: error:0A000086:SSL routines::certificate verify failed") ==
        0x0A000086UL);
  CHECK(ssl_error_from_message("error:0A00010B:SSL routines::wrong version number") == 0x0A00010BUL);
  CHECK(ssl_error_from_message("Connection reset by peer") == 0);
  CHECK(ssl_error_from_message("error:zz") == 0);
  // curl 8 puts its own "error:" first (Debian 13's curl 8.14 with OpenSSL 3.5).
  CHECK(ssl_error_from_message("TLS connect error: error:0A00010B:SSL routines::wrong version number") == 0x0A00010BUL);
  CHECK(ssl_error_from_message("TLS connect error: error:0A00042E:SSL routines::tlsv1 alert protocol version") ==
        0x0A00042EUL);
  CHECK(ssl_error_from_message("error: error:0A00042E") == 0);  // no ':' after the code: not a code
}
