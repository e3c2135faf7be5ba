#include "checks/failure.h"

#include <array>
#include <utility>

// The names of the taxonomy's classes, phases and severities: API (results, metrics labels,
// alert rules), never renamed.
namespace prober::checks {
namespace {

constexpr std::array<std::pair<FailureClass, std::string_view>, 36> kClassNames{{
    {FailureClass::kOk, "ok"},
    {FailureClass::kDnsNxdomain, "dns_nxdomain"},
    {FailureClass::kDnsNoAddress, "dns_no_address"},
    {FailureClass::kDnsServfail, "dns_servfail"},
    {FailureClass::kDnsRefused, "dns_refused"},
    {FailureClass::kDnsTimeout, "dns_timeout"},
    {FailureClass::kDnsBadResponse, "dns_bad_response"},
    {FailureClass::kDnsUnexpectedAnswer, "dns_unexpected_answer"},
    {FailureClass::kTcpRefused, "tcp_refused"},
    {FailureClass::kTcpTimeout, "tcp_timeout"},
    {FailureClass::kTcpUnreachable, "tcp_unreachable"},
    {FailureClass::kTcpReset, "tcp_reset"},
    {FailureClass::kTlsHandshakeFailed, "tls_handshake_failed"},
    {FailureClass::kTlsTimeout, "tls_timeout"},
    {FailureClass::kTlsCertExpired, "tls_cert_expired"},
    {FailureClass::kTlsCertNotYetValid, "tls_cert_not_yet_valid"},
    {FailureClass::kTlsCertHostnameMismatch, "tls_cert_hostname_mismatch"},
    {FailureClass::kTlsCertUntrusted, "tls_cert_untrusted"},
    {FailureClass::kTlsChainIncomplete, "tls_chain_incomplete"},
    {FailureClass::kTlsCertWeak, "tls_cert_weak"},
    {FailureClass::kTlsCertExpiring, "tls_cert_expiring"},
    {FailureClass::kTlsWeakConfig, "tls_weak_config"},
    {FailureClass::kHttpTimeout, "http_timeout"},
    {FailureClass::kHttpBodyTimeout, "http_body_timeout"},
    {FailureClass::kHttpProtocolError, "http_protocol_error"},
    {FailureClass::kHttpStatus, "http_status"},
    {FailureClass::kHttpTooManyRedirects, "http_too_many_redirects"},
    {FailureClass::kHttpRedirectLoop, "http_redirect_loop"},
    {FailureClass::kHttpBodyTooLarge, "http_body_too_large"},
    {FailureClass::kHttpBodyMismatch, "http_body_mismatch"},
    {FailureClass::kHttpHeaderMismatch, "http_header_mismatch"},
    {FailureClass::kHttpSlow, "http_slow"},
    {FailureClass::kHttpBlocked, "http_blocked"},
    {FailureClass::kHttpDowngrade, "http_downgrade"},
    {FailureClass::kVantageUnhealthy, "vantage_unhealthy"},
    {FailureClass::kInternalError, "internal_error"},
}};

}  // namespace

std::string_view to_string(FailureClass c) {
  for (const auto& [value, name] : kClassNames) {
    if (value == c) return name;
  }
  return "internal_error";
}

std::optional<FailureClass> failure_class_from_string(std::string_view name) {
  for (const auto& [value, text] : kClassNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

std::string_view to_string(Phase p) {
  switch (p) {
    case Phase::kDns:
      return "dns";
    case Phase::kConnect:
      return "connect";
    case Phase::kTls:
      return "tls";
    case Phase::kHttp:
      return "http";
    case Phase::kNone:
      break;
  }
  return "";
}

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "ok";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
    case Severity::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace prober::checks
