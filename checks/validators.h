#pragma once
// Expectations on a completed response, as a list of named validators (cloudprober's pattern).
// Patterns are compiled once, when the check is made.
#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "checks/check_result.h"
#include "checks/patterns.h"
#include "config/monitor_config.h"

namespace prober::checks {

// The patterns of a monitor's expectations, compiled; the rest is read from the expectations
// themselves (not copied: one per monitor is enough).
struct CompiledHttpExpect {
  const config::HttpExpect* config = nullptr;  // what it was compiled from, which must outlive it
  Pattern body_regex;
  std::vector<std::pair<std::string, Pattern>> headers;
  bool needs_body() const { return body_regex || config->body_contains; }
};

// The expectations, or the message of the first pattern RE2 rejects. `expect` must outlive the
// result (a check's spec holds its monitor's).
std::variant<CompiledHttpExpect, std::string> compile_http_expect(const config::HttpExpect& expect);

struct Verdict {
  Failure failure;
  std::string detail;
};

// Status, headers and body: the first failure, or nullopt when all pass.
std::optional<Verdict> validate_response(const CompiledHttpExpect& expect, const HttpFacts& http,
                                         const std::string& body);
// Days left on the earliest-expiring certificate the server sent, against the thresholds.
std::optional<Verdict> validate_cert_expiry(const config::ExpiryThresholds& thresholds, const TlsFacts& tls,
                                            std::int64_t now_unix);
// What a browser's security panel would flag about a handshake that succeeded: TLS 1.0/1.1, no
// forward secrecy, a CBC cipher, SHA-1 in the served chain, an RSA key under 2048 bits.
std::optional<Verdict> validate_tls_hygiene(const std::vector<std::string>& ignore, const TlsFacts& tls);
// An https:// first URL whose last hop is plain http://, at the monitor's chosen severity.
std::optional<Verdict> validate_scheme(const std::string& downgrade, const std::string& first_url,
                                       const std::string& final_url);
// `held_up`: how long the agent itself was held up during the check (CheckEnv::hold_ups): the
// thresholds are held against the total without it, which is all the target can have taken.
std::optional<Verdict> validate_latency(const config::Thresholds& thresholds_ms, const Timings& timings,
                                        Micros held_up = Micros(0));
// The worse of two verdicts (critical over warning; the first on a tie).
std::optional<Verdict> worse(std::optional<Verdict> a, std::optional<Verdict> b);

}  // namespace prober::checks
