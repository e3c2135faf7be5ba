#pragma once
// What one monitor asks for. Plain data with defaults; parsing and validation live beside it.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/definition_digest.h"
#include "config/shared_block.h"

namespace prober::config {

enum class CheckType : std::uint8_t { kHttp, kTls, kTcp, kDns };
enum class IpVersion : std::uint8_t { kAny, kV4, kV6, kEach };
enum class DnsTransport : std::uint8_t { kUdp, kTcp };

// Inclusive range of acceptable HTTP status codes; a single code is {c, c}.
struct StatusRange {
  int low = 200;
  int high = 299;
  auto operator<=>(const StatusRange&) const = default;
};

struct Thresholds {  // for "bigger is worse" values such as milliseconds
  std::optional<double> warning;
  std::optional<double> critical;
  auto operator<=>(const Thresholds&) const = default;
};

struct ExpiryThresholds {  // days left before a certificate expires: smaller is worse
  std::optional<int> warning_days;
  std::optional<int> critical_days;
  auto operator<=>(const ExpiryThresholds&) const = default;
};

struct HttpExpect {
  std::vector<StatusRange> status = std::vector<StatusRange>(1, StatusRange{200, 399});
  std::optional<std::string> body_regex;                     // RE2 syntax
  std::optional<std::string> body_contains;                  // plain substring
  std::vector<std::pair<std::string, std::string>> headers;  // header name (any case), RE2 pattern
  Thresholds response_time_ms;
  ExpiryThresholds cert_expiry{21, 7};
  // An https:// URL whose redirects end on plain http://: "warning", "critical" or "ignore".
  std::string downgrade = "warning";
  // TLS hygiene findings not to report (tls_weak_config): "old_version", "no_forward_secrecy",
  // "cbc", "sha1", "small_rsa".
  std::vector<std::string> tls_hygiene_ignore;

  auto operator<=>(const HttpExpect&) const = default;
};

struct TlsOptions {
  std::optional<std::string> ca_file;
  bool insecure_skip_verify = false;
  // SNI, certificate name and Host header when they differ from the URL's (or target's) host,
  // which is still what is resolved and connected to.
  std::optional<std::string> server_name;
  std::optional<std::string> min_version;  // "1.0" .. "1.3"
  std::optional<std::string> max_version;
  // A client certificate (PEM) for servers that require one; the key may be in cert_file.
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  // Key exchange groups to offer, in order, as OpenSSL's list ("X25519:P-256"); unset: the
  // library's defaults (OpenSSL 3.5's put the post-quantum hybrid X25519MLKEM768 first).
  std::optional<std::string> groups;

  auto operator<=>(const TlsOptions&) const = default;
};

struct DnsExpect {
  std::optional<std::string> rcode;        // e.g. "NOERROR"; unset: NOERROR
  std::vector<std::string> answers_regex;  // every pattern must match some answer

  auto operator<=>(const DnsExpect&) const = default;
};

struct SecretHeader {
  std::string name;
  std::string file;  // read from this file (trailing newline dropped) ...
  std::string env;   // ... or this environment variable

  auto operator<=>(const SecretHeader&) const = default;
};

// What is asked of the target beyond its address, which most monitors leave at the defaults.
struct RequestOptions {
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  // Header values that come from a file or an environment variable: resolved at load, never
  // shown in /results or logs.
  std::vector<SecretHeader> secret_headers;
  std::vector<std::string> dns_servers;  // "ip:port" or "ip"; empty: the system's resolvers
  std::string record = "A";              // dns checks
  // Set on /probe runs only (from sinks.prometheus.probe): RE2 patterns every URL requested must
  // fully match (the target and each redirect hop), and whether non-public addresses are refused.
  std::vector<std::string> allowed_targets;

  auto operator<=>(const RequestOptions&) const = default;
};

// The small fields sit together: every monitor holds one (a hundred thousand of them at scale),
// and padding between them would put it in a larger allocation class.
struct MonitorConfig {
  std::string name;
  CheckType type = CheckType::kHttp;
  IpVersion ip_version = IpVersion::kAny;
  DnsTransport transport = DnsTransport::kUdp;
  int max_redirects = 10;
  int max_check_attempts = 3;
  int recovery_attempts = 1;
  bool follow_redirects = true;
  bool deny_private_addresses = false;  // see request->allowed_targets
  // http: url. tls/tcp: target "host:port". dns: query name.
  std::string target;
  std::chrono::milliseconds timeout{10000};
  std::uint64_t max_body_bytes = 10ull << 20;
  // Blocks most monitors share (SharedBlock): read with ->, changed with edit().
  SharedBlock<HttpExpect> expect;
  SharedBlock<TlsOptions> tls;
  SharedBlock<RequestOptions> request;
  // scheduling and alert-state inputs
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds retry_interval{10000};
  // The monitor's own JSON and the defaults it inherited, digested: equal definitions mean an
  // unchanged monitor on reload (it keeps its schedule and state).
  DefinitionDigest definition{};
  SharedBlock<DnsExpect> dns_expect;
};

}  // namespace prober::config
