#pragma once
// The failure taxonomy (shared/DESIGN.md §4) and the ONE place that maps raw codes to it.
// Class names are API: never rename one.
#include <curl/curl.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prober::checks {

enum class Phase { kNone, kDns, kConnect, kTls, kHttp };
enum class Severity { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

enum class FailureClass {
  kOk,
  kDnsNxdomain,
  kDnsNoAddress,
  kDnsServfail,
  kDnsRefused,
  kDnsTimeout,
  kDnsBadResponse,
  kDnsUnexpectedAnswer,
  kTcpRefused,
  kTcpTimeout,
  kTcpUnreachable,
  kTcpReset,
  kTlsHandshakeFailed,
  kTlsTimeout,
  kTlsCertExpired,
  kTlsCertNotYetValid,
  kTlsCertHostnameMismatch,
  kTlsCertUntrusted,
  kTlsChainIncomplete,
  kTlsCertWeak,
  kTlsCertExpiring,
  kTlsWeakConfig,
  kHttpTimeout,
  kHttpBodyTimeout,
  kHttpProtocolError,
  kHttpStatus,
  kHttpTooManyRedirects,
  kHttpRedirectLoop,
  kHttpBodyTooLarge,
  kHttpBodyMismatch,
  kHttpHeaderMismatch,
  kHttpSlow,
  kHttpBlocked,
  kHttpDowngrade,
  kVantageUnhealthy,
  kInternalError,
};

struct Failure {
  FailureClass failure_class = FailureClass::kOk;
  Phase phase = Phase::kNone;
  Severity severity = Severity::kOk;
  bool retriable = false;  // a network failure another attempt may not see
  bool operator==(const Failure&) const = default;
};

std::string_view to_string(FailureClass c);
std::string_view to_string(Phase p);
std::string_view to_string(Severity s);
std::optional<FailureClass> failure_class_from_string(std::string_view name);

// --- inputs the classifier understands -------------------------------------------------------

// One DNS lookup: c-ares status, the answer's rcode (when an answer came), and whether it held
// an address of the wanted family.
// `unusable_reply`: the server did answer, with datagrams c-ares dropped (DnsReply::unusable); a
// timeout or a failed TCP retry after them is then the bad answer, not the silence.
Failure classify_dns(int ares_status, int rcode, bool has_wanted_records, bool unusable_reply = false);

// What a finished (or aborted) curl transfer left behind.
struct TransferOutcome {
  CURLcode code = CURLE_OK;
  long os_errno = 0;            // CURLINFO_OS_ERRNO
  long verify_result = 0;       // X509_V_* from the certificate verification, 0 = ok
  unsigned long ssl_error = 0;  // packed OpenSSL error code from curl's message, 0 = none
  bool uses_tls = false;
  bool connected = false;             // TCP connect completed
  bool tls_done = false;              // handshake completed
  bool headers_received = false;      // a status line arrived
  bool body_too_large = false;        // our write callback stopped the body at its limit
  bool missing_intermediate = false;  // chain analysis: the server omitted an intermediate
  // A verified leaf with no subjectAltName: OpenSSL and curl fall back to the Common Name,
  // browsers (Chrome 58+, Firefox 48+, Safari) and Go 1.15+ do not.
  bool leaf_without_san = false;
};
Failure classify_transfer(const TransferOutcome& outcome);
// Where a transfer stood when it ended or was aborted: the phase a timeout is charged to.
Phase phase_in_progress(const TransferOutcome& outcome);

// The phase a probe was in when its deadline hit. Timeouts are classified here, once.
Failure classify_timeout(Phase phase, bool headers_received = false);

// A named validator rejected an otherwise complete response.
enum class Validator {
  kStatus,
  kBlocked,
  kBody,
  kHeader,
  kLatency,
  kCertExpiry,
  kTlsHygiene,
  kRedirectLoop,
  kTooManyRedirects,
  kDowngrade,
  kDnsRcode,
  kDnsAnswer
};
Failure classify_validation(Validator v, Severity severity = Severity::kCritical);

Failure ok();
Failure internal_error(Phase phase = Phase::kNone);

// OpenSSL reason code from the "error:0A000086:..." text curl puts in its error buffer.
unsigned long ssl_error_from_message(std::string_view curl_error_message);

}  // namespace prober::checks

namespace prober::checks {

// A 403/429/503 that a bot wall, WAF or rate limiter answered, recognised by its headers:
// returns what gave it away ("cf-mitigated: challenge"), or nullopt for an ordinary status.
std::optional<std::string> blocking_signature(int status,
                                              const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace prober::checks
