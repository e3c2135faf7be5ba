#include "checks/failure.h"

#include "checks/text.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <utility>

namespace prober::checks {
namespace {

// CURLE_TOO_LARGE (curl 8.6+: a response header over curl's limit) by number, so the classifier
// knows it whichever curl headers it was built with.
constexpr auto kCurleTooLarge = static_cast<CURLcode>(100);

Failure make(FailureClass c, Phase p, bool retriable = false) { return Failure{c, p, Severity::kCritical, retriable}; }

Failure classify_connect_errno(long os_errno) {
  switch (os_errno) {
    case ECONNREFUSED:
      return make(FailureClass::kTcpRefused, Phase::kConnect);
    case ETIMEDOUT:
      return make(FailureClass::kTcpTimeout, Phase::kConnect, true);
    case ECONNRESET:
      return make(FailureClass::kTcpReset, Phase::kConnect, true);
    default:  // ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT, ENETDOWN, EACCES, EPERM, ...
      return make(FailureClass::kTcpUnreachable, Phase::kConnect, true);
  }
}

bool is_reset(long os_errno) { return os_errno == ECONNRESET || os_errno == EPIPE; }

// OpenSSL's reason for an alert the peer sent is SSL_AD_REASON_OFFSET plus the alert number.
bool is_peer_alert(unsigned long ssl_error) {
  if (ERR_GET_LIB(ssl_error) != ERR_LIB_SSL) return false;
  int reason = ERR_GET_REASON(ssl_error);
  return reason > SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256;
}

Failure classify_verify_result(long verify_result, bool missing_intermediate) {
  switch (verify_result) {
    case X509_V_OK:  // verification passed, so curl's own host name check is what failed
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH:
      return make(FailureClass::kTlsCertHostnameMismatch, Phase::kTls);
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return make(FailureClass::kTlsCertExpired, Phase::kTls);
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return make(FailureClass::kTlsCertNotYetValid, Phase::kTls);
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      return make(missing_intermediate ? FailureClass::kTlsChainIncomplete : FailureClass::kTlsCertUntrusted,
                  Phase::kTls);
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
      return make(FailureClass::kTlsCertWeak, Phase::kTls);
    default:  // self-signed, unknown root, revoked, bad signature, invalid CA or purpose, ...
      return make(FailureClass::kTlsCertUntrusted, Phase::kTls);
  }
}

Failure classify_ssl_error(const TransferOutcome& o) {
  if (ERR_GET_LIB(o.ssl_error) == ERR_LIB_SSL) {
    switch (ERR_GET_REASON(o.ssl_error)) {
      case SSL_R_EE_KEY_TOO_SMALL:
      case SSL_R_CA_KEY_TOO_SMALL:
      case SSL_R_CA_MD_TOO_WEAK:
        return make(FailureClass::kTlsCertWeak, Phase::kTls);
      case SSL_R_CERTIFICATE_VERIFY_FAILED:
        return classify_verify_result(o.verify_result, o.missing_intermediate);
      default:
        break;
    }
  }
  if (o.verify_result != X509_V_OK) return classify_verify_result(o.verify_result, o.missing_intermediate);
  if (is_reset(o.os_errno)) return make(FailureClass::kTcpReset, Phase::kTls, true);
  return make(FailureClass::kTlsHandshakeFailed, Phase::kTls);
}

}  // namespace

Failure ok() { return Failure{}; }
Failure internal_error(Phase phase) { return make(FailureClass::kInternalError, phase); }

Failure classify_dns(int ares_status, int rcode, bool has_wanted_records, bool unusable_reply) {
  if (unusable_reply &&
      (ares_status == ARES_ETIMEOUT || ares_status == ARES_ECONNREFUSED || ares_status == ARES_EBADRESP)) {
    return make(FailureClass::kDnsBadResponse, Phase::kDns);
  }
  switch (ares_status) {
    case ARES_SUCCESS:
      switch (rcode) {
        case ns_r_noerror:
          return has_wanted_records ? ok() : make(FailureClass::kDnsNoAddress, Phase::kDns);
        case ns_r_nxdomain:
          return make(FailureClass::kDnsNxdomain, Phase::kDns);
        case ns_r_servfail:
          return make(FailureClass::kDnsServfail, Phase::kDns, true);
        case ns_r_refused:
          return make(FailureClass::kDnsRefused, Phase::kDns);
        default:
          return make(FailureClass::kDnsBadResponse, Phase::kDns);  // FORMERR, NOTIMP, ...
      }
    case ARES_ENOTFOUND:
      return make(FailureClass::kDnsNxdomain, Phase::kDns);
    case ARES_ENODATA:
      return make(FailureClass::kDnsNoAddress, Phase::kDns);
    case ARES_ESERVFAIL:
      return make(FailureClass::kDnsServfail, Phase::kDns, true);
    case ARES_EREFUSED:
    case ARES_ECONNREFUSED:  // nothing listens on the server's port
      return make(FailureClass::kDnsRefused, Phase::kDns, true);
    case ARES_ETIMEOUT:
      return make(FailureClass::kDnsTimeout, Phase::kDns, true);
    case ARES_EFORMERR:
    case ARES_EBADRESP:
    case ARES_ENOTIMP:
      return make(FailureClass::kDnsBadResponse, Phase::kDns);
    default:  // EBADNAME, ENOMEM, ECANCELLED, EDESTRUCTION, ...: our side, not the server's
      return internal_error(Phase::kDns);
  }
}

Failure classify_transfer(const TransferOutcome& o) {
  switch (o.code) {
    case CURLE_OK:
      if (o.leaf_without_san) return make(FailureClass::kTlsCertHostnameMismatch, Phase::kTls);
      return ok();
    case CURLE_COULDNT_CONNECT:
      return classify_connect_errno(o.os_errno);
    case CURLE_OPERATION_TIMEDOUT:
      return classify_timeout(phase_in_progress(o), o.headers_received);
    case CURLE_PEER_FAILED_VERIFICATION:
      return classify_verify_result(o.verify_result, o.missing_intermediate);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return classify_ssl_error(o);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
      // A TLS alert from the server before any response: under TLS 1.3 the client's handshake is
      // over before the server has checked it (certificate_required arrives on the first read).
      if (o.uses_tls && !o.headers_received && is_peer_alert(o.ssl_error)) return classify_ssl_error(o);
      if (is_reset(o.os_errno)) return make(FailureClass::kTcpReset, phase_in_progress(o), true);
      if (o.uses_tls && !o.tls_done) return classify_ssl_error(o);
      return make(FailureClass::kHttpProtocolError, Phase::kHttp);
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_OUT_OF_MEMORY:  // curl 7's answer to absurdly large response headers
    case kCurleTooLarge:       // curl 8's
      if (o.connected) return make(FailureClass::kHttpProtocolError, Phase::kHttp);
      return internal_error(Phase::kConnect);
    case CURLE_FILESIZE_EXCEEDED:
      return make(FailureClass::kHttpBodyTooLarge, Phase::kHttp);
    case CURLE_WRITE_ERROR:
      if (o.body_too_large) return make(FailureClass::kHttpBodyTooLarge, Phase::kHttp);
      return internal_error(Phase::kHttp);
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ENGINE_NOTFOUND:
      return internal_error(Phase::kTls);  // our TLS set-up (CA file, client cert), not the server
    case CURLE_TOO_MANY_REDIRECTS:
      return make(FailureClass::kHttpTooManyRedirects, Phase::kHttp);
    default:  // bad URL, bad CA file, aborted by callback, ...: a problem on our side
      return internal_error(phase_in_progress(o));
  }
}

Phase phase_in_progress(const TransferOutcome& o) {
  if (!o.connected) return Phase::kConnect;
  if (o.uses_tls && !o.tls_done) return Phase::kTls;
  return Phase::kHttp;
}

Failure classify_timeout(Phase phase, bool headers_received) {
  switch (phase) {
    case Phase::kDns:
      return make(FailureClass::kDnsTimeout, Phase::kDns, true);
    case Phase::kConnect:
      return make(FailureClass::kTcpTimeout, Phase::kConnect, true);
    case Phase::kTls:
      return make(FailureClass::kTlsTimeout, Phase::kTls, true);
    case Phase::kHttp:
      return make(headers_received ? FailureClass::kHttpBodyTimeout : FailureClass::kHttpTimeout, Phase::kHttp, true);
    case Phase::kNone:
      break;
  }
  return internal_error();
}

Failure classify_validation(Validator v, Severity severity) {
  auto with = [severity](FailureClass c, Phase p) { return Failure{c, p, severity, false}; };
  switch (v) {
    case Validator::kStatus:
      return with(FailureClass::kHttpStatus, Phase::kHttp);
    case Validator::kBlocked:
      return with(FailureClass::kHttpBlocked, Phase::kHttp);
    case Validator::kBody:
      return with(FailureClass::kHttpBodyMismatch, Phase::kHttp);
    case Validator::kHeader:
      return with(FailureClass::kHttpHeaderMismatch, Phase::kHttp);
    case Validator::kLatency:
      return with(FailureClass::kHttpSlow, Phase::kHttp);
    case Validator::kCertExpiry:
      return with(FailureClass::kTlsCertExpiring, Phase::kTls);
    case Validator::kTlsHygiene:
      return with(FailureClass::kTlsWeakConfig, Phase::kTls);
    case Validator::kRedirectLoop:
      return with(FailureClass::kHttpRedirectLoop, Phase::kHttp);
    case Validator::kTooManyRedirects:
      return with(FailureClass::kHttpTooManyRedirects, Phase::kHttp);
    case Validator::kDowngrade:
      return with(FailureClass::kHttpDowngrade, Phase::kHttp);
    case Validator::kDnsRcode:
    case Validator::kDnsAnswer:
      return with(FailureClass::kDnsUnexpectedAnswer, Phase::kDns);
  }
  return internal_error();
}

unsigned long ssl_error_from_message(std::string_view message) {
  // curl's OpenSSL backend writes "...error:0A000086:SSL routines::certificate verify failed",
  // after its own words, which may contain "error:" too (curl 8: "TLS connect error: error:0A...").
  auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  for (auto at = message.find("error:"); at != std::string_view::npos; at = message.find("error:", at + 1)) {
    std::string_view code = message.substr(at + 6, 9);
    if (code.size() == 9 && code[8] == ':' && std::all_of(code.begin(), code.begin() + 8, is_hex)) {
      return std::strtoul(std::string(code.substr(0, 8)).c_str(), nullptr, 16);
    }
  }
  return 0;
}

}  // namespace prober::checks

namespace prober::checks {

std::optional<std::string> blocking_signature(int status,
                                              const std::vector<std::pair<std::string, std::string>>& headers) {
  if (status != 403 && status != 429 && status != 503) return std::nullopt;
  // Headers that bot-management and WAF products put on the answers they make themselves.
  static constexpr std::string_view kWallHeaders[] = {"cf-mitigated", "cf-chl-bypass",     "x-datadome",
                                                      "x-dd-b",       "x-amzn-waf-action", "x-sucuri-block",
                                                      "x-iinfo",      "x-px-block",        "akamai-grn"};
  for (const auto& [name, value] : headers) {
    for (auto wall : kWallHeaders) {
      if (iequals(name, wall)) return name + ": " + value;
    }
    if (status == 403 && iequals(name, "server") &&
        (icontains(value, "cloudflare") || icontains(value, "akamaighost") || icontains(value, "sucuri"))) {
      return name + ": " + value;
    }
  }
  if (status == 429) {
    for (const auto& [name, value] : headers) {
      if (iequals(name, "retry-after")) return "429 with retry-after: " + value;
    }
    return std::string("429 Too Many Requests");
  }
  return std::nullopt;
}

}  // namespace prober::checks
