#pragma once
// The Prometheus web configuration file (--web.config.file), as the exporter-toolkit reads it for
// node_exporter and blackbox_exporter: tls_server_config, http_server_config, basic_auth_users,
// rate_limit. Same keys, same defaults, same things refused (unknown keys, unknown TLS versions,
// ciphers, curves and client auth types, headers outside the allowed five, passwords that are
// not bcrypt hashes, client CAs without a client auth policy). Parsing only: the TLS context is
// built from it by io/tls_server.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace prober::config {

struct WebTlsConfig {
  // Each of these as a file (relative paths are from the web config file's folder) or inline.
  std::string cert_file, cert;
  std::string key_file, key;
  std::string client_ca_file, client_ca;
  std::string client_auth_type;                // "" = NoClientCert
  std::vector<std::string> cipher_suites;      // IANA names, as Go spells them; TLS 1.2 and below
  std::vector<std::string> curve_preferences;  // CurveP256, CurveP384, CurveP521, X25519
  int min_version = 0x0303;                    // TLS12
  int max_version = 0x0304;                    // TLS13
  bool prefer_server_cipher_suites = true;
  std::optional<std::vector<std::string>> client_allowed_sans;

  // Whether any TLS key is set: then the endpoint speaks HTTPS only.
  bool enabled() const {
    return !cert_file.empty() || !cert.empty() || !key_file.empty() || !key.empty() || !client_ca_file.empty() ||
           !client_ca.empty() || !client_auth_type.empty();
  }
};

struct WebConfig {
  WebTlsConfig tls;
  bool http2 = true;  // accepted for compatibility; the endpoint speaks HTTP/1.1 (ALPN "http/1.1")
  std::vector<std::pair<std::string, std::string>> headers;  // added to every answer
  std::map<std::string, std::string> users;                  // user name -> bcrypt hash
  int rate_limit_burst = 0;
  std::chrono::milliseconds rate_limit_interval{0};  // 0: no rate limit
};

// `directory` is the folder relative file names are taken from.
std::variant<WebConfig, std::string> parse_web_config(std::string_view yaml, const std::string& directory);

// Whether `hash` is a bcrypt hash ($2a$, $2b$, $2x$ or $2y$, cost 04-31, 53 characters of salt and hash).
bool is_bcrypt_hash(std::string_view hash);

}  // namespace prober::config
