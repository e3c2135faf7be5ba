#include "diagnostics/plan.h"

#include "checks/address_lookup.h"
#include "checks/dns_message.h"
#include "checks/url.h"

namespace prober::diagnostics {
namespace {

using checks::FailureClass;

// Handshake failures another ClientHello may pass; certificate classes are precise already.
bool handshake_failure(const checks::CheckResult& r) {
  auto c = r.failure.failure_class;
  return r.failure.phase == checks::Phase::kTls &&
         (c == FailureClass::kTlsHandshakeFailed || c == FailureClass::kTlsTimeout || c == FailureClass::kTcpReset ||
          c == FailureClass::kHttpProtocolError);
}

bool answer_failure(FailureClass c) {
  return c == FailureClass::kHttpStatus || c == FailureClass::kHttpBodyMismatch ||
         c == FailureClass::kHttpHeaderMismatch || c == FailureClass::kHttpProtocolError ||
         c == FailureClass::kHttpTimeout || c == FailureClass::kHttpBodyTimeout;
}

}  // namespace

Plan plan_for(const config::MonitorConfig& monitor, const checks::CheckResult& result, bool everything) {
  Plan plan;
  auto c = result.failure.failure_class;
  if (!everything && (c == FailureClass::kOk || c == FailureClass::kVantageUnhealthy ||
                      c == FailureClass::kInternalError || result.failure.severity == checks::Severity::kOk))
    return plan;
  std::string host;
  bool tls = monitor.type == config::CheckType::kTls;
  if (monitor.type == config::CheckType::kDns) {
    host = monitor.target;
    plan.dns_type = checks::dns_type_from_name(monitor.request->record).value_or(1);
  } else {
    auto parsed = monitor.type == config::CheckType::kHttp ? checks::parse_url(monitor.target)
                                                           : checks::parse_host_port(monitor.target, "tcp");
    if (auto* url = std::get_if<checks::ParsedUrl>(&parsed)) {
      host = url->host;
      tls = tls || url->scheme == "https";
    }
  }
  plan.server_name = monitor.tls->server_name.value_or(host);
  bool named = !host.empty() && !checks::is_ip_literal(host);
  bool addressed = !result.address.empty() && result.port > 0 && monitor.type != config::CheckType::kDns;
  auto phase = result.failure.phase;
  if (named && (everything || phase == checks::Phase::kDns)) plan.dns_name = host;
  plan.path = addressed && (everything || phase == checks::Phase::kConnect || c == FailureClass::kTlsTimeout ||
                            c == FailureClass::kHttpTimeout);
  plan.tls = addressed && tls && (everything || handshake_failure(result));
  // Headers matter once a request was sent: not to a failure before it (DNS, connect, handshake).
  bool requested = phase == checks::Phase::kHttp || phase == checks::Phase::kNone;
  plan.http = monitor.type == config::CheckType::kHttp && requested && (everything || answer_failure(c));
  return plan;
}

}  // namespace prober::diagnostics
