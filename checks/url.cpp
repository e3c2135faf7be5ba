#include "checks/url.h"

#include <curl/curl.h>

#include <memory>

#include "io/curl_handles.h"

namespace prober::checks {
namespace {

std::string part(CURLU* url, CURLUPart which, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(url, which, &raw, flags) != CURLUE_OK || !raw) return "";
  io::CurlStringPtr owned(raw);
  return raw;
}

}  // namespace

std::variant<ParsedUrl, std::string> parse_url(const std::string& text) {
  io::CurlUrlPtr url(curl_url());
  if (!url) return std::string("out of memory");
  if (CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0); rc != CURLUE_OK) {
    return "invalid URL '" + text + "': " + curl_url_strerror(rc);
  }
  ParsedUrl out;
  out.scheme = part(url.get(), CURLUPART_SCHEME);
  if (out.scheme != "http" && out.scheme != "https") {
    return "unsupported scheme '" + out.scheme + "' in '" + text + "' (http and https are checked)";
  }
  out.host = part(url.get(), CURLUPART_HOST);
  if (out.host.size() > 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return "no host in URL '" + text + "'";
  std::string port = part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  out.port = port.empty() ? 0 : std::atoi(port.c_str());
  if (out.port <= 0 || out.port > 65535) return "invalid port in URL '" + text + "'";
  out.url = part(url.get(), CURLUPART_URL);
  return out;
}

std::string with_host(const ParsedUrl& url, const std::string& host) {
  io::CurlUrlPtr u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.url.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_HOST, host.c_str(), 0) != CURLUE_OK) {
    return url.url;
  }
  return part(u.get(), CURLUPART_URL);
}

std::variant<ParsedUrl, std::string> parse_host_port(const std::string& text, const std::string& scheme) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return "target '" + text + "' needs a port: host:port";
  std::string port = text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) {
    return "invalid port '" + port + "' in '" + text + "'";
  }
  std::string host = text.substr(0, colon);
  bool v6 = host.find(':') != std::string::npos;
  if (v6 && host.front() != '[') host = "[" + host + "]";
  auto parsed = parse_url(scheme + "://" + host + ":" + port + "/");
  if (auto* p = std::get_if<ParsedUrl>(&parsed); p && p->port == 0) return "port 0 in '" + text + "'";
  return parsed;
}

std::string redacted_url(const std::string& url) {
  std::string out = url;
  auto scheme_end = out.find("://");
  std::size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  auto authority_end = out.find_first_of("/?#", authority);
  auto at = out.rfind('@', authority_end == std::string::npos ? out.size() : authority_end);
  if (at != std::string::npos && at >= authority) out.erase(authority, at + 1 - authority);
  auto query = out.find('?');
  if (query == std::string::npos) return out;
  auto fragment = out.find('#', query);
  std::string tail = fragment == std::string::npos ? "" : out.substr(fragment);
  std::string params = out.substr(query + 1, fragment == std::string::npos ? std::string::npos : fragment - query - 1);
  std::string redacted;
  std::size_t start = 0;
  while (start <= params.size()) {
    auto amp = params.find('&', start);
    std::string pair = params.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    auto eq = pair.find('=');
    if (!redacted.empty()) redacted += '&';
    redacted += eq == std::string::npos ? pair : pair.substr(0, eq) + "=REDACTED";
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out.substr(0, query + 1) + redacted + tail;
}

}  // namespace prober::checks
