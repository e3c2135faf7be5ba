#pragma once
// URLs are parsed by curl's own URL parser, so we judge a URL exactly as the transfer will.
#include <string>
#include <variant>

namespace prober::checks {

struct ParsedUrl {
  std::string url;     // normalised
  std::string scheme;  // "http" or "https"
  std::string host;    // without IPv6 brackets
  int port = 0;
};

std::variant<ParsedUrl, std::string> parse_url(const std::string& text);
// The same URL with another host (for a TLS server name that differs from the host connected to).
std::string with_host(const ParsedUrl& url, const std::string& host);
// "host:port" (or "[v6]:port") for tls and tcp targets.
std::variant<ParsedUrl, std::string> parse_host_port(const std::string& text, const std::string& scheme);
// `url` fit for a log line: userinfo removed, every query value replaced by "REDACTED"
// (https://u:p@host/p?token=x -> https://host/p?token=REDACTED).
std::string redacted_url(const std::string& url);

}  // namespace prober::checks
