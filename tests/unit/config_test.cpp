// Each file of config/testdata and the exact errors it must give (blackbox's TestLoadBadConfigs).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "config/config_parser.h"

using namespace prober::config;

namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(PROBER_SOURCE_DIR) + "/config/testdata/" + name + ".json");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> errors_of(const std::string& name) {
  auto parsed = parse_config(read(name));
  std::vector<std::string> out;
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&parsed)) {
    for (const auto& e : *errors) out.push_back(to_string(e));
  }
  return out;
}

}  // namespace

TEST_CASE("a credential over plain http:// is refused unless the sink says insecure_credentials") {
  auto errors = [](const std::string& sink) {
    std::vector<std::string> out;
    auto parsed = parse_config(R"({"sinks": )" + sink + "}");
    if (auto* e = std::get_if<std::vector<ConfigError>>(&parsed)) {
      for (const auto& x : *e) out.push_back(to_string(x));
    }
    return out;
  };
  CHECK(errors(R"({"webhook": {"url": "http://central.example/", "bearer_token_env": "T"}})") ==
        std::vector<std::string>{"/sinks/webhook/bearer_token_env: a credential over plain http:// "
                                 "(http://central.example/) is refused: use https://, or set \"insecure_credentials\": "
                                 "true for a receiver on a trusted network"});
  CHECK(errors(R"({"mackerel": {"url": "http://m.example", "api_key_file": "/k"}})").size() == 1);
  CHECK(errors(R"({"remote_write": {"url": "http://p:9090/api/v1/write", "bearer_token_file": "/t"}})").size() == 1);
  CHECK(errors(R"({"webhook": {"url": "https://central.example/", "bearer_token_env": "T"}})").empty());
  CHECK(errors(R"({"webhook": {"url": "http://central.example/"}})").empty());  // nothing to protect
  CHECK(errors(R"({"webhook": {"url": "http://c/", "bearer_token_env": "T", "insecure_credentials": true}})").empty());
}

TEST_CASE("sizes are strings with units or plain numbers of bytes") {
  auto parsed = parse_config(read("size-as-number"));
  REQUIRE(std::holds_alternative<Config>(parsed));
  CHECK(std::get<Config>(parsed).monitors[0]->max_body_bytes == 65536);
  CHECK(std::get<Config>(parsed).spool->max_bytes == 1048576);
}

TEST_CASE("the good configuration loads with its values and defaults") {
  auto parsed = parse_config(read("good"));
  REQUIRE(std::holds_alternative<Config>(parsed));
  const auto& c = std::get<Config>(parsed);
  CHECK(c.vantage.name == "tokyo-1");
  CHECK(c.vantage.labels.at("provider") == "aws");
  REQUIRE(c.monitors.size() == 4);
  const auto& shop = *c.monitors[0];
  CHECK(shop.interval.count() == 30000);  // from defaults
  CHECK(shop.timeout.count() == 5000);
  CHECK(shop.ip_version == IpVersion::kEach);
  CHECK(shop.expect->status.size() == 2);
  CHECK(shop.expect->status[1].low == 300);
  CHECK(shop.request->headers.size() == 1);
  REQUIRE(shop.request->secret_headers.size() == 1);
  CHECK(shop.request->secret_headers[0].env == "SHOP_TOKEN");
  CHECK(*shop.expect->response_time_ms.warning == 800);
  const auto& dns = *c.monitors[1];
  CHECK(dns.type == CheckType::kDns);
  CHECK(dns.target == "shop.example");
  CHECK(dns.request->dns_servers == std::vector<std::string>{"127.0.0.1:53"});
  CHECK(dns.transport == DnsTransport::kTcp);
  CHECK(dns.interval.count() == 120000);
  CHECK(c.monitors[3]->timeout.count() == 1000);
  CHECK(c.monitors[2]->tls->server_name == "api.example");
  CHECK(c.monitors[2]->tls->cert_file == "/etc/prober/client.pem");
  CHECK(c.monitors[2]->tls->key_file == "/etc/prober/client.key");
  CHECK(c.monitors[2]->tls->groups == "X25519:P-256");
  CHECK(!shop.tls->groups);
  CHECK(c.modules.count("http_2xx") == 1);
  REQUIRE(c.endpoint.has_value());
  CHECK(c.endpoint->listen == "127.0.0.1:9465");
  CHECK(c.endpoint->probe.allowed_targets.size() == 1);
}

TEST_CASE("sinks, spool and control checks are read with their defaults") {
  auto c = std::get<Config>(parse_config(read("sinks")));
  REQUIRE(c.remote_write);
  CHECK(c.remote_write->url == "http://prometheus:9090/api/v1/write");
  CHECK(c.remote_write->bearer_token.env == "RW_TOKEN");
  CHECK(c.remote_write->delivery.flush_interval == std::chrono::milliseconds(2000));
  CHECK(c.remote_write->delivery.max_age == std::chrono::milliseconds(3600000));
  CHECK(c.remote_write->delivery.batch_max == 500);
  REQUIRE(c.alertmanager);
  CHECK(c.alertmanager->urls.size() == 2);
  CHECK(c.alertmanager->resend_interval == std::chrono::milliseconds(30000));
  REQUIRE(c.mackerel);
  CHECK(c.mackerel->url == "https://api.mackerelio.com");
  CHECK(c.mackerel->reports.batch_max == 50);
  CHECK(c.mackerel->metrics.flush_interval == std::chrono::milliseconds(60000));
  REQUIRE(c.webhook);
  CHECK(c.webhook->bearer_token.file == "/run/secrets/webhook");
  REQUIRE(c.spool);
  CHECK(c.spool->max_bytes == (64u << 20));
  CHECK(c.vantage.control == std::vector<std::string>{"ctl-dns"});
  CHECK(c.monitors[0]->recovery_attempts == 2);
}

TEST_CASE("a push sink without a spool section gets the default spool") {
  auto c = std::get<Config>(parse_config(R"({"sinks": {"webhook": {"url": "http://127.0.0.1:1/"}}})"));
  REQUIRE(c.spool);
  CHECK(c.spool->dir == "/var/lib/prober/spool");
  CHECK(!std::get<Config>(parse_config(R"({"monitors": []})")).spool);
}

TEST_CASE("diagnostics: defaults, values and bounds") {
  auto c = std::get<Config>(parse_config(R"({"monitors": []})"));
  CHECK(c.diagnostics.enabled);
  CHECK(c.diagnostics.timeout == std::chrono::seconds(10));
  CHECK(c.diagnostics.min_interval == std::chrono::minutes(30));
  CHECK(c.diagnostics.max_concurrent == 4);
  c = std::get<Config>(parse_config(
      R"({"diagnostics": {"enabled": false, "timeout": "5s", "min_interval": "1h", "max_concurrent": 2, "max_hops": 8}})"));
  CHECK_FALSE(c.diagnostics.enabled);
  CHECK(c.diagnostics.timeout == std::chrono::seconds(5));
  CHECK(c.diagnostics.min_interval == std::chrono::hours(1));
  CHECK(c.diagnostics.max_concurrent == 2);
  CHECK(c.diagnostics.max_hops == 8);
  auto bad = std::get<std::vector<ConfigError>>(
      parse_config(R"({"diagnostics": {"timeout": "1h", "max_hops": 0, "traceroute": true}})"));
  REQUIRE(bad.size() == 3);
  CHECK(to_string(bad[0]).starts_with("/diagnostics/timeout: "));
  CHECK(to_string(bad[1]).starts_with("/diagnostics/max_hops: "));
  CHECK(to_string(bad[2]) == "/diagnostics/traceroute: unknown key");
}

TEST_CASE("every bad configuration names the pointer and what was expected") {
  struct Case {
    const char* file;
    std::vector<std::string> errors;
  } cases[] = {
      {"not-json",
       {"/: not valid JSON: parse error at line 1, column 15: syntax error while parsing value - unexpected '}'; "
        "expected '[', '{', or a literal"}},
      {"unknown-key", {"/monitors/0/retries: unknown key"}},
      {"unknown-top-level", {"/monitor: unknown key"}},
      {"wrong-type", {"/monitors/0/follow_redirects: expected true or false, got a string"}},
      {"bad-duration",
       {"/monitors/0/interval: expected a duration such as \"500ms\", \"10s\", \"2m\", got \"1 minute\""}},
      {"bad-size",
       {"/monitors/0/max_body: expected a size such as \"64KiB\" or \"10MiB\", or a number of bytes, got \"10 "
        "megabytes\""}},
      // Found by fuzz/config_fuzz: an uncaught out_of_range aborted prober run and validate.
      {"number-too-large", {"/: not valid JSON: number overflow parsing '66666666E66666'"}},
      // Found by fuzz/config_fuzz: a vantage name that is an object threw type_error (abort).
      {"vantage-name-object", {"/vantage/name: expected a string, got an object"}},
      {"out-of-range",
       {"/defaults/interval: expected a duration of at most 24h, got \"25h\"",
        "/monitors/0/interval: expected a duration of at most 24h, got \"744h\"",
        "/monitors/0/timeout: expected a duration of at most 24h, got \"720h\"",
        "/monitors/0/max_body: expected a size such as \"64KiB\" or \"10MiB\", or a number of bytes, got 0",
        "/monitors/1/max_body: expected a size of at most 1099511627776 bytes, got 2000000000000",
        "/monitors/2/target: port must be 1 to 65535, got \"c.example:70000\"",
        "/sinks/prometheus/listen: expected host:port with a port from 0 to 65535, got \"127.0.0.1:70000\"",
        "/sinks/webhook/max_age: expected a duration of at most 720h, got \"744h\""}},
      {"duplicate-name", {"/monitors/1/name: duplicate name \"a\" (also /monitors/0)"}},
      {"timeout-not-below-interval",
       {"/monitors/0/timeout: timeout (10000ms) must be shorter than interval (10000ms)"}},
      {"invalid-url", {"/monitors/0/url: not a valid URL, got \"http://exa mple.com/\""}},
      {"unsupported-scheme", {"/monitors/0/url: expected an http:// or https:// URL, got \"ftp://a.example/\""}},
      {"url-port", {"/monitors/0/url: port must be 1 to 65535, got \"http://a.example:0/\""}},
      {"bad-body-regex", {"/monitors/0/expect/body_regex: invalid RE2 pattern: missing ): (unclosed"}},
      {"bad-header-regex",
       {"/monitors/0/expect/headers/content-type: invalid RE2 pattern: invalid repetition size: {2,1}"}},
      {"bad-answer-regex", {"/monitors/0/expect/answers_regex/1: invalid RE2 pattern: missing ]: ["}},
      {"bad-status",
       {"/monitors/0/expect/status/1: expected a list of status codes and [low, high] ranges, e.g. [200, [300, "
        "399]] (codes 100 to 599)"}},
      {"bad-hygiene-item",
       {"/monitors/0/expect/downgrade: expected one of \"warning\", \"critical\", \"ignore\", got \"sometimes\"",
        "/monitors/0/expect/tls_hygiene_ignore/1: expected one of old_version, no_forward_secrecy, cbc, sha1 or "
        "small_rsa, got \"rc4\""}},
      {"bad-tls-groups",
       {"/monitors/0/tls/groups: expected TLS group names such as \"X25519\" or \"P-256\", got \"P 256\"",
        "/monitors/1/tls/groups: expected at least one TLS group name"}},
      {"key-without-cert",
       {"/monitors/0/tls/key_file: key_file needs cert_file (the client certificate it belongs to)"}},
      {"missing-name", {"/monitors/0: missing \"name\""}},
      {"bad-name", {"/monitors/0/name: expected 1 to 128 of [A-Za-z0-9_.-], got \"shop home\""}},
      {"missing-type", {"/monitors/0: missing \"type\" (http, tls, tcp or dns)"}},
      {"unknown-type", {"/monitors/0/type: expected one of \"http\", \"tls\", \"tcp\", \"dns\", got \"icmp\""}},
      {"wrong-target-key",
       {"/monitors/0/url: \"url\" is not a key of tcp monitors; use \"target\"", "/monitors/0: missing \"target\""}},
      {"target-without-port", {"/monitors/0/target: expected host:port, got \"a.example\""}},
      {"inline-secret-object",
       {"/monitors/0/headers/Authorization: expected a string, or {\"file\": PATH} or {\"env\": NAME} for a secret"}},
      {"bad-ip-version", {"/defaults/ip_version: expected one of \"any\", \"4\", \"6\", \"each\", got \"both\""}},
      {"bad-record",
       {"/monitors/0/record: expected one of \"A\", \"AAAA\", \"CNAME\", \"MX\", \"TXT\", \"NS\", \"SOA\", \"CAA\", "
        "\"SRV\", \"PTR\", got \"ANY\""}},
      {"max-check-attempts", {"/monitors/0/max_check_attempts: expected an integer from 1 to 10, got 11"}},
      {"bad-sinks",
       {"/vantage/labels/cloud-provider: expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "
        "__)",
        "/vantage/labels/region: \"region\" is set by prober itself",
        "/vantage/index: must be less than count (3), got 3",
        "/sinks/remote_write/url: expected an http:// or https:// URL, got \"prometheus:9090/api/v1/write\"",
        "/sinks/remote_write/batch_max: expected an integer from 1 to 100000, got 0",
        "/sinks/alertmanager/url: required: \"url\" or \"urls\" (every Alertmanager of the cluster)",
        "/sinks/mackerel/api_key_env: give api_key_file or api_key_env, not both",
        "/sinks/webhook/retries: unknown key", "/spool/dir: must not be empty",
        "/spool/max_bytes: must be at least 64KiB", "/vantage/control/1: no monitor is named \"nope\""}},
      {"bad-probe-allow", {"/sinks/prometheus/probe/allowed_targets/0: invalid RE2 pattern: missing ): (x"}},
      {"several-errors",
       {"/monitors/0/timeout: expected a duration such as \"500ms\", \"10s\", \"2m\", got \"fast\"",
        "/monitors/0/expect/body_regex: invalid RE2 pattern: missing ): (",
        "/monitors/1/target: expected host:port, got \"b.example\""}},
  };
  auto join = [](const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  };
  for (const auto& c : cases) {
    std::string file = c.file;
    CAPTURE(file);
    CHECK(join(errors_of(file)) == join(c.errors));
  }
}
