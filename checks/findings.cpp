#include "checks/findings.h"

#include "checks/cert_info.h"
#include "checks/explain_phrases.h"
#include "checks/text.h"

namespace prober::checks {
namespace {

bool is_certificate_class(FailureClass c) {
  switch (c) {
    case FailureClass::kTlsCertExpired:
    case FailureClass::kTlsCertNotYetValid:
    case FailureClass::kTlsCertHostnameMismatch:
    case FailureClass::kTlsCertUntrusted:
    case FailureClass::kTlsChainIncomplete:
    case FailureClass::kTlsCertWeak:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool certificate_matches(const CertInfo& leaf, std::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  for (std::string_view pattern : leaf.dns_names) {
    if (iequals(pattern, name)) return true;
    if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") {
      auto dot = name.find('.');
      if (dot != std::string_view::npos && dot > 0 && iequals(pattern.substr(1), name.substr(dot))) return true;
    }
  }
  return false;
}

void add_certificate_findings(CheckResult& r, std::int64_t now) {
  if (!is_certificate_class(r.failure.failure_class) || r.tls.chain.empty()) return;
  const CertInfo& leaf = r.tls.chain.front();
  auto add = [&r](FailureClass c, std::string message) {
    if (c == r.failure.failure_class) return;
    for (const auto& f : r.findings) {
      if (f.failure_class == c) return;
    }
    r.findings.push_back(Finding{c, std::move(message)});
  };
  // In the order a client meets them once the one before is fixed: chain, dates, name.
  if (r.tls.aia_completes.value_or(missing_intermediate(r.tls.chain))) {
    const CertInfo& top = r.tls.chain.back();
    add(FailureClass::kTlsChainIncomplete, "the server does not send the intermediate '" + top.issuer_cn +
                                               "' (browsers fetch it from AIA, other clients fail)");
  }
  for (const auto& cert : r.tls.chain) {
    if (cert.not_after < now) {
      add(FailureClass::kTlsCertExpired,
          "certificate '" + cert.subject_cn + "' expired on " + phrases::date(cert.not_after));
      break;
    }
    if (cert.not_before > now) {
      add(FailureClass::kTlsCertNotYetValid,
          "certificate '" + cert.subject_cn + "' is not valid before " + phrases::date(cert.not_before));
      break;
    }
  }
  if (!r.tls.server_name.empty()) {
    if (leaf.dns_names.empty()) {
      add(FailureClass::kTlsCertHostnameMismatch,
          "certificate '" + leaf.subject_cn + "' has no subjectAltName: browsers accept it for no name");
    } else if (!certificate_matches(leaf, r.tls.server_name)) {
      add(FailureClass::kTlsCertHostnameMismatch,
          "certificate is for " + phrases::leaf_names(r) + ", not for " + r.tls.server_name);
    }
  }
}

}  // namespace prober::checks
