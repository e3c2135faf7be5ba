// The agent's HTTP endpoint on any bytes a client sends: libhttp-parser's callbacks, the URL,
// query and percent decoding, split into reads at arbitrary points as TCP may deliver them.
#include <cstddef>
#include <cstdint>

#include "net/http_request_parser.h"

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
    if (parser.pipelined()) break;
    parser.reset();
  }
  (void)prober::net::parse_query(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
