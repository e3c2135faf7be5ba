// The web configuration file (exporter-toolkit format) and the Authorization header parser.
#include <doctest/doctest.h>

#include "config/web_config.h"
#include "net/basic_auth.h"

using prober::config::parse_web_config;
using prober::config::WebConfig;

namespace {

constexpr char kHash[] = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

WebConfig good(const std::string& yaml) {
  auto parsed = parse_web_config(yaml, "/etc/prober");
  if (auto* error = std::get_if<std::string>(&parsed)) FAIL("rejected: " << *error);
  return std::get<WebConfig>(parsed);
}

std::string bad(const std::string& yaml) {
  auto parsed = parse_web_config(yaml, "/etc/prober");
  REQUIRE(std::holds_alternative<std::string>(parsed));
  return std::get<std::string>(parsed);
}

}  // namespace

TEST_CASE("an empty web config is plain HTTP without auth, with the exporter-toolkit's defaults") {
  for (const char* text : {"", "# nothing\n", "{}"}) {
    WebConfig c = good(text);
    CHECK_FALSE(c.tls.enabled());
    CHECK(c.users.empty());
    CHECK(c.tls.min_version == 0x0303);
    CHECK(c.tls.max_version == 0x0304);
    CHECK(c.http2);
  }
}

TEST_CASE("every key of the format is read; relative files are taken from the file's folder") {
  WebConfig c = good(std::string(R"(
tls_server_config:
  cert_file: certs/server.pem
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.pem
  client_allowed_sans: [scraper.test, 10.0.0.1]
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
http_server_config:
  http2: false
  headers:
    X-Content-Type-Options: nosniff
    Content-Security-Policy: "default-src 'none'"
basic_auth_users:
  alice: ')") + kHash +
                     R"('
rate_limit:
  burst: 5
  interval: 2s
)");
  CHECK(c.tls.enabled());
  CHECK(c.tls.cert_file == "/etc/prober/certs/server.pem");
  CHECK(c.tls.key_file == "/abs/server.key");
  CHECK(c.tls.client_ca_file == "/etc/prober/ca.pem");
  REQUIRE(c.tls.client_allowed_sans.has_value());
  CHECK(c.tls.client_allowed_sans->size() == 2);
  CHECK(c.tls.min_version == 0x0304);
  CHECK(c.tls.cipher_suites.size() == 1);
  CHECK(c.tls.curve_preferences.size() == 2);
  CHECK_FALSE(c.tls.prefer_server_cipher_suites);
  CHECK_FALSE(c.http2);
  CHECK(c.headers.size() == 2);
  CHECK(c.users.at("alice") == kHash);
  CHECK(c.rate_limit_burst == 5);
  CHECK(c.rate_limit_interval == std::chrono::seconds(2));
}

TEST_CASE("what the exporter-toolkit refuses is refused, saying what and where") {
  CHECK(bad("junk: 1\n") == "line 1: field junk not found in the web configuration");
  CHECK(bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  nope: 1\n") ==
        "line 4: field nope not found in tls_server_config");
  CHECK(bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n") ==
        "line 4: unknown TLS version: TLS14");
  CHECK(bad("tls_server_config:\n  cert_file: a\n") == "line 2: missing one of key or key_file");
  CHECK(bad("tls_server_config:\n  key_file: a\n") == "line 2: missing one of cert or cert_file");
  CHECK(bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n") ==
        "line 4: invalid ClientAuth: Maybe");
  CHECK(bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n") ==
        "line 2: client CA's have been configured without a Client Auth Policy");
  CHECK(bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P-256]\n") ==
        "line 4: unknown curve: P-256");
  CHECK(bad("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n")
            .find("invalid value for X-Content-Type-Options") != std::string::npos);
  CHECK(bad("http_server_config:\n  headers:\n    Set-Cookie: a=b\n") ==
        "line 3: HTTP header \"Set-Cookie\" can not be configured");
  CHECK(bad("basic_auth_users:\n  bob: secret\n") == "line 2: the password of user \"bob\" is not a bcrypt hash");
  CHECK(bad("rate_limit:\n  burst: -1\n").find("rate_limit.burst") != std::string::npos);
  CHECK(bad("rate_limit:\n  interval: soon\n").find("rate_limit.interval") != std::string::npos);
  CHECK_FALSE(bad("tls_server_config: [\n").empty());  // YAML syntax: yaml-cpp's own words
  CHECK_FALSE(bad("- a\n- b\n").empty());
}

TEST_CASE("bcrypt hashes are told from anything else") {
  CHECK(prober::config::is_bcrypt_hash(kHash));
  CHECK(prober::config::is_bcrypt_hash("$2b$04$abcdefghijklmnopqrstuuVRTw4bXyAJuYOalvRIl8sXZJEUFSAFG"));
  CHECK_FALSE(
      prober::config::is_bcrypt_hash("$2b$03$abcdefghijklmnopqrstuuVRTw4bXyAJuYOalvRIl8sXZJEUFSAFG"));  // cost < 4
  CHECK_FALSE(prober::config::is_bcrypt_hash("$1$abcdefgh$abcdefghijklmnopqrstuv"));
  CHECK_FALSE(prober::config::is_bcrypt_hash(std::string(kHash) + "x"));
  CHECK_FALSE(prober::config::is_bcrypt_hash("plain"));
}

TEST_CASE("the Authorization header: Basic only, user before the first colon") {
  using prober::net::parse_basic_authorization;
  auto c = parse_basic_authorization("Basic YWxpY2U6cDpzcw==");  // alice:p:ss
  REQUIRE(c.has_value());
  CHECK(c->user == "alice");
  CHECK(c->password == "p:ss");
  auto lower = parse_basic_authorization("basic Ym9iOg==");  // bob: (empty password)
  REQUIRE(lower.has_value());
  CHECK(lower->password.empty());
  CHECK_FALSE(parse_basic_authorization("Bearer YWxpY2U6cHc="));
  CHECK_FALSE(parse_basic_authorization("Basic bm9jb2xvbg=="));  // "nocolon"
  CHECK_FALSE(parse_basic_authorization("Basic !!!!"));
  CHECK_FALSE(parse_basic_authorization("Basic YWxpY2U6cHc"));  // not a multiple of 4
  CHECK_FALSE(parse_basic_authorization("Basic "));
}
