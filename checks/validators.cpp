#include "checks/validators.h"

#include <algorithm>
#include <cctype>

#include "checks/text.h"
#include "checks/timings.h"

namespace prober::checks {
namespace {

std::string describe(const std::vector<config::StatusRange>& ranges) {
  std::string out;
  for (const auto& r : ranges) {
    out += (out.empty() ? "" : ", ") + std::to_string(r.low);
    if (r.high != r.low) out += "-" + std::to_string(r.high);
  }
  return out;
}

}  // namespace

std::variant<CompiledHttpExpect, std::string> compile_http_expect(const config::HttpExpect& expect) {
  CompiledHttpExpect out;
  out.config = &expect;
  if (expect.body_regex) {
    auto compiled = compile_pattern(*expect.body_regex);
    if (auto* error = std::get_if<std::string>(&compiled)) return "body_regex: " + *error;
    out.body_regex = std::get<Pattern>(std::move(compiled));
  }
  for (const auto& [name, pattern] : expect.headers) {
    auto compiled = compile_pattern(pattern);
    if (auto* error = std::get_if<std::string>(&compiled)) return "header " + name + ": " + *error;
    out.headers.emplace_back(name, std::get<Pattern>(std::move(compiled)));
  }
  return out;
}

std::optional<Verdict> validate_response(const CompiledHttpExpect& expect, const HttpFacts& http,
                                         const std::string& body) {
  int status = http.status.value_or(0);
  bool status_ok = false;
  for (const auto& range : expect.config->status)
    status_ok = status_ok || (status >= range.low && status <= range.high);
  if (!status_ok) {
    std::string detail = "status " + std::to_string(status) + ", expected " + describe(expect.config->status);
    if (auto signature = blocking_signature(status, http.headers)) {
      return Verdict{classify_validation(Validator::kBlocked), detail + " (" + *signature + ")"};
    }
    return Verdict{classify_validation(Validator::kStatus), detail};
  }
  for (const auto& [name, regex] : expect.headers) {
    const std::string* value = nullptr;
    for (const auto& [have, v] : http.headers) {
      if (iequals(have, name)) value = &v;
    }
    if (!value) return Verdict{classify_validation(Validator::kHeader), "header " + name + " missing"};
    if (!re2::RE2::PartialMatch(*value, *regex)) {
      return Verdict{classify_validation(Validator::kHeader),
                     "header " + name + ": '" + *value + "' does not match /" + regex->pattern() + "/"};
    }
  }
  if (expect.body_regex && !re2::RE2::PartialMatch(body, *expect.body_regex)) {
    return Verdict{
        classify_validation(Validator::kBody),
        "body (" + std::to_string(http.body_bytes) + " bytes) does not match /" + expect.body_regex->pattern() + "/"};
  }
  if (expect.config->body_contains && body.find(*expect.config->body_contains) == std::string::npos) {
    return Verdict{classify_validation(Validator::kBody), "body (" + std::to_string(http.body_bytes) +
                                                              " bytes) does not contain '" +
                                                              *expect.config->body_contains + "'"};
  }
  return std::nullopt;
}

std::optional<Verdict> validate_cert_expiry(const config::ExpiryThresholds& thresholds, const TlsFacts& tls,
                                            std::int64_t now_unix) {
  auto earliest = earliest_expiry(tls.chain);
  if (!earliest) return std::nullopt;
  int days = days_left(*earliest, now_unix);
  const CertInfo* cert = &tls.chain.front();
  for (const auto& c : tls.chain) {
    if (c.not_after == *earliest) cert = &c;
  }
  std::string detail = "certificate '" + cert->subject_cn + "' expires in " + std::to_string(days) + " days";
  if (thresholds.critical_days && days < *thresholds.critical_days) {
    return Verdict{classify_validation(Validator::kCertExpiry, Severity::kCritical),
                   detail + " (critical below " + std::to_string(*thresholds.critical_days) + ")"};
  }
  if (thresholds.warning_days && days < *thresholds.warning_days) {
    return Verdict{classify_validation(Validator::kCertExpiry, Severity::kWarning),
                   detail + " (warning below " + std::to_string(*thresholds.warning_days) + ")"};
  }
  return std::nullopt;
}

std::optional<Verdict> validate_latency(const config::Thresholds& thresholds_ms, const Timings& timings,
                                        Micros held_up) {
  if (!timings.total) return std::nullopt;
  double total = to_ms(*timings.total);
  double held = std::clamp(to_ms(held_up), 0.0, total);
  double ms = total - held;
  auto took = [&](double threshold, const char* level) {
    std::string text = "response took " + format_ms(total);
    if (held > 0) text += ", " + format_ms(ms) + " without the " + format_ms(held) + " prober itself was held up";
    return text + " (" + level + " at " + format_ms(threshold) + ")";
  };
  if (thresholds_ms.critical && ms >= *thresholds_ms.critical) {
    return Verdict{classify_validation(Validator::kLatency, Severity::kCritical),
                   took(*thresholds_ms.critical, "critical")};
  }
  if (thresholds_ms.warning && ms >= *thresholds_ms.warning) {
    return Verdict{classify_validation(Validator::kLatency, Severity::kWarning),
                   took(*thresholds_ms.warning, "warning")};
  }
  return std::nullopt;
}

std::optional<Verdict> validate_tls_hygiene(const std::vector<std::string>& ignore, const TlsFacts& tls) {
  if (!tls.version) return std::nullopt;  // no handshake completed
  std::string found;
  auto add = [&](const char* item, const std::string& what) {
    if (std::find(ignore.begin(), ignore.end(), item) != ignore.end()) return;
    found += (found.empty() ? "" : "; ") + what;
  };
  if (*tls.version == "TLSv1" || *tls.version == "TLSv1.1" || *tls.version == "SSLv3") {
    add("old_version", *tls.version + " negotiated (browsers refuse TLS below 1.2 since 2020)");
  }
  if (tls.forward_secrecy == false) add("no_forward_secrecy", "RSA key exchange: no forward secrecy");
  if (tls.aead == false) add("cbc", "CBC cipher " + tls.cipher.value_or("?") + " (no AEAD suite chosen)");
  for (const auto& cert : tls.chain) {
    if (cert.self_issued) continue;  // a root's own signature is never checked
    std::string algorithm = cert.signature_algorithm;
    std::transform(algorithm.begin(), algorithm.end(), algorithm.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (algorithm.find("sha1") != std::string::npos) {
      add("sha1", "certificate '" + cert.subject_cn + "' is signed with SHA-1");
      break;
    }
  }
  if (!tls.chain.empty() && tls.chain.front().key_type == "RSA" && tls.chain.front().key_bits > 0 &&
      tls.chain.front().key_bits < 2048) {
    add("small_rsa", "a " + std::to_string(tls.chain.front().key_bits) + "-bit RSA key");
  }
  if (found.empty()) return std::nullopt;
  return Verdict{classify_validation(Validator::kTlsHygiene, Severity::kWarning), found};
}

std::optional<Verdict> validate_scheme(const std::string& downgrade, const std::string& first_url,
                                       const std::string& final_url) {
  auto scheme_is = [](const std::string& url, std::string_view scheme) {
    return url.size() > scheme.size() && std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  if (downgrade == "ignore" || !scheme_is(first_url, "https://") || !scheme_is(final_url, "http://")) {
    return std::nullopt;
  }
  return Verdict{
      classify_validation(Validator::kDowngrade, downgrade == "critical" ? Severity::kCritical : Severity::kWarning),
      first_url + " ends on " + final_url};
}

std::optional<Verdict> worse(std::optional<Verdict> a, std::optional<Verdict> b) {
  if (!a) return b;
  if (!b) return a;
  return b->failure.severity > a->failure.severity ? b : a;
}

}  // namespace prober::checks
