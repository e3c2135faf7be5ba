#include "config/web_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <stdexcept>

#include "config/units.h"

namespace prober::config {
namespace {

// A problem in the file, said where it is (yaml-cpp's marks count lines from 0).
std::runtime_error at(const YAML::Node& node, const std::string& message) {
  if (node.Mark().is_null()) return std::runtime_error(message);
  return std::runtime_error("line " + std::to_string(node.Mark().line + 1) + ": " + message);
}

// Go's yaml.UnmarshalStrict: a key the format does not have is an error, not ignored.
void only_keys(const YAML::Node& map, const std::string& where, std::initializer_list<const char*> keys) {
  if (!map.IsMap()) throw at(map, where + " must be a mapping");
  for (const auto& item : map) {
    std::string key = item.first.as<std::string>();
    if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; })) {
      throw at(item.first, "field " + key + " not found in " + where);
    }
  }
}

std::string text(const YAML::Node& map, const char* key) {
  const YAML::Node value = map[key];
  if (!value || value.IsNull()) return "";
  if (!value.IsScalar()) throw at(value, std::string(key) + " must be a string");
  return value.as<std::string>();
}

bool flag(const YAML::Node& map, const char* key, bool fallback) {
  const YAML::Node value = map[key];
  if (!value || value.IsNull()) return fallback;
  bool out = fallback;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out))
    throw at(value, std::string(key) + " must be true or false");
  return out;
}

std::vector<std::string> texts(const YAML::Node& map, const char* key) {
  const YAML::Node value = map[key];
  std::vector<std::string> out;
  if (!value || value.IsNull()) return out;
  if (!value.IsSequence()) throw at(value, std::string(key) + " must be a list");
  for (const auto& item : value) {
    if (!item.IsScalar()) throw at(item, std::string(key) + " must be a list of strings");
    out.push_back(item.as<std::string>());
  }
  return out;
}

int tls_version(const YAML::Node& map, const char* key, int fallback) {
  std::string name = text(map, key);
  if (name.empty()) return fallback;
  if (name == "TLS10") return 0x0301;
  if (name == "TLS11") return 0x0302;
  if (name == "TLS12") return 0x0303;
  if (name == "TLS13") return 0x0304;
  throw at(map[key], "unknown TLS version: " + name);
}

std::string join_dir(const std::string& directory, const std::string& path) {
  if (path.empty() || path.front() == '/' || directory.empty()) return path;
  return directory + "/" + path;
}

WebTlsConfig read_tls(const YAML::Node& node, const std::string& directory) {
  WebTlsConfig tls;
  if (!node || node.IsNull()) return tls;
  only_keys(node, "tls_server_config",
            {"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file", "cipher_suites",
             "curve_preferences", "min_version", "max_version", "prefer_server_cipher_suites", "client_allowed_sans"});
  tls.cert = text(node, "cert");
  tls.key = text(node, "key");
  tls.client_ca = text(node, "client_ca");
  tls.cert_file = join_dir(directory, text(node, "cert_file"));
  tls.key_file = join_dir(directory, text(node, "key_file"));
  tls.client_ca_file = join_dir(directory, text(node, "client_ca_file"));
  tls.client_auth_type = text(node, "client_auth_type");
  tls.cipher_suites = texts(node, "cipher_suites");
  tls.curve_preferences = texts(node, "curve_preferences");
  for (const auto& curve : tls.curve_preferences) {
    if (curve != "CurveP256" && curve != "CurveP384" && curve != "CurveP521" && curve != "X25519") {
      throw at(node["curve_preferences"], "unknown curve: " + curve);
    }
  }
  tls.min_version = tls_version(node, "min_version", tls.min_version);
  tls.max_version = tls_version(node, "max_version", tls.max_version);
  tls.prefer_server_cipher_suites = flag(node, "prefer_server_cipher_suites", true);
  if (node["client_allowed_sans"]) tls.client_allowed_sans = texts(node, "client_allowed_sans");
  const auto& auth = tls.client_auth_type;
  if (!auth.empty() && auth != "NoClientCert" && auth != "RequestClientCert" && auth != "RequireAnyClientCert" &&
      auth != "RequireClientCert" && auth != "VerifyClientCertIfGiven" && auth != "RequireAndVerifyClientCert") {
    throw at(node["client_auth_type"], "invalid ClientAuth: " + auth);
  }
  if (tls.enabled()) {
    if (tls.cert_file.empty() && tls.cert.empty()) throw at(node, "missing one of cert or cert_file");
    if (tls.key_file.empty() && tls.key.empty()) throw at(node, "missing one of key or key_file");
  }
  if ((!tls.client_ca_file.empty() || !tls.client_ca.empty()) && (auth.empty() || auth == "NoClientCert")) {
    throw at(node, "client CA's have been configured without a Client Auth Policy");
  }
  return tls;
}

// The exporter-toolkit lets five headers be set, two of them to fixed values only: the
// endpoint's answers stay what Prometheus expects.
void read_headers(const YAML::Node& node, WebConfig& out) {
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) throw at(node, "headers must be a mapping");
  for (const auto& item : node) {
    std::string name = item.first.as<std::string>();
    if (!item.second.IsScalar()) throw at(item.second, "the value of " + name + " must be a string");
    std::string value = item.second.as<std::string>();
    if (name == "X-Content-Type-Options" && value != "nosniff") {
      throw at(item.second,
               "invalid value for " + name + ". Expected one of: [\"nosniff\"], but got: \"" + value + "\"");
    }
    if (name == "X-Frame-Options" && value != "deny" && value != "sameorigin") {
      throw at(item.second, "invalid value for " + name + ". Expected one of: [\"deny\" \"sameorigin\"], but got: \"" +
                                value + "\"");
    }
    if (name != "Strict-Transport-Security" && name != "X-Content-Type-Options" && name != "X-Frame-Options" &&
        name != "X-XSS-Protection" && name != "Content-Security-Policy") {
      throw at(item.first, "HTTP header \"" + name + "\" can not be configured");
    }
    if (value.find_first_of("\r\n") != std::string::npos)
      throw at(item.second, "the value of " + name + " spans lines");
    out.headers.emplace_back(name, value);
  }
}

WebConfig read(const YAML::Node& root, const std::string& directory) {
  WebConfig out;
  if (!root || root.IsNull()) return out;  // an empty file: plain HTTP, no auth
  only_keys(root, "the web configuration",
            {"tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"});
  out.tls = read_tls(root["tls_server_config"], directory);
  if (const YAML::Node http = root["http_server_config"]; http && !http.IsNull()) {
    only_keys(http, "http_server_config", {"http2", "headers"});
    out.http2 = flag(http, "http2", true);
    read_headers(http["headers"], out);
  }
  if (const YAML::Node users = root["basic_auth_users"]; users && !users.IsNull()) {
    if (!users.IsMap()) throw at(users, "basic_auth_users must be a mapping of user names to bcrypt hashes");
    for (const auto& item : users) {
      std::string user = item.first.as<std::string>();
      std::string hash = item.second.IsScalar() ? item.second.as<std::string>() : "";
      if (!is_bcrypt_hash(hash)) throw at(item.second, "the password of user \"" + user + "\" is not a bcrypt hash");
      out.users[user] = hash;
    }
  }
  if (const YAML::Node limit = root["rate_limit"]; limit && !limit.IsNull()) {
    only_keys(limit, "rate_limit", {"burst", "interval"});
    if (limit["burst"]) {
      int burst = -1;
      if (!limit["burst"].IsScalar() || !YAML::convert<int>::decode(limit["burst"], burst) || burst < 0) {
        throw at(limit["burst"], "rate_limit.burst must be a whole number of requests");
      }
      out.rate_limit_burst = burst;
    }
    if (std::string interval = text(limit, "interval"); !interval.empty()) {
      auto parsed = parse_duration(interval);
      if (!parsed) throw at(limit["interval"], "rate_limit.interval is not a duration: " + interval);
      out.rate_limit_interval = *parsed;
    }
  }
  return out;
}

}  // namespace

bool is_bcrypt_hash(std::string_view hash) {
  if (hash.size() != 60 || hash.substr(0, 2) != "$2" || hash[3] != '$' || hash[6] != '$') return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'x' && hash[2] != 'y') return false;
  if (hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9') return false;
  int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  constexpr std::string_view kAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return hash.substr(7).find_first_not_of(kAlphabet) == std::string_view::npos;
}

std::variant<WebConfig, std::string> parse_web_config(std::string_view yaml, const std::string& directory) {
  try {
    return read(YAML::Load(std::string(yaml)), directory);
  } catch (const YAML::Exception& e) {
    return std::string(e.what());
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

}  // namespace prober::config
