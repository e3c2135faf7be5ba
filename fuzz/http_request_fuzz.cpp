// The agent's HTTP endpoint on any bytes a client sends: libhttp-parser's callbacks, the URL,
// query and percent decoding, split into reads at arbitrary points as TCP may deliver them; then
// what /probe makes of the decoded values (a target as a URL or host:port, and the spec a check
// keeps of it) and of the Authorization header.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "checks/target_check.h"
#include "checks/url.h"
#include "net/basic_auth.h"
#include "net/http_request_parser.h"

namespace {

// A target as /probe takes it: the spec must give back exactly what parsing gave.
void check_target(const std::string& value) {
  using namespace prober;
  for (int as_url = 0; as_url < 2; ++as_url) {
    auto parsed = as_url ? checks::parse_url(value) : checks::parse_host_port(value, "https");
    const auto* url = std::get_if<checks::ParsedUrl>(&parsed);
    if (!url) continue;
    (void)checks::redacted_url(url->url);
    auto monitor = std::make_shared<config::MonitorConfig>();
    monitor->target = value;
    auto made = checks::make_target_spec(monitor, *url);
    const auto* spec = std::get_if<std::shared_ptr<const checks::TargetSpec>>(&made);
    if (!spec) continue;
    const checks::TargetSpec& s = **spec;
    if (s.url() != url->url || s.host() != url->host || s.port() != url->port || s.scheme() != url->scheme) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using prober::net::HttpRequestParser;
  if (size == 0) return 0;
  // The first byte chooses the read size, the rest is the connection's bytes.
  std::size_t chunk = 1 + data[0] % 64;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  std::size_t left = size - 1;
  HttpRequestParser parser;
  for (int request = 0; request < 4 && left > 0; ++request) {  // keep-alive: several in a row
    auto state = HttpRequestParser::State::kNeedMore;
    while (left > 0 && state == HttpRequestParser::State::kNeedMore) {
      std::size_t n = chunk < left ? chunk : left;
      state = parser.feed(bytes, n);
      bytes += n;
      left -= n;
    }
    if (state != HttpRequestParser::State::kComplete) break;
    const auto& r = parser.request();
    std::size_t total = r.method.size() + r.path.size();
    for (const auto& [k, v] : r.query) total += k.size() + v.size();
    for (const auto& [k, v] : r.headers) total += k.size() + v.size();
    if (total > 4 * HttpRequestParser::kMaxRequestBytes) __builtin_trap();  // decoding never grows
    for (const auto& [k, v] : r.query) check_target(v);
    for (const auto& [k, v] : r.headers) (void)prober::net::parse_basic_authorization(v);
    if (parser.pipelined()) break;
    parser.reset();
  }
  (void)prober::net::parse_query(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
