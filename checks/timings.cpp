#include "checks/timings.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include <uv.h>

namespace prober::checks {
namespace {

std::optional<Micros> span(std::int64_t from, std::int64_t to) {
  if (to <= 0) return std::nullopt;
  return Micros(std::max<std::int64_t>(0, to - from));
}

std::optional<Micros> plus(const std::optional<Micros>& a, const std::optional<Micros>& b) {
  if (!a) return b;
  if (!b) return a;
  return *a + *b;
}

}  // namespace

Timings transfer_timings(const CurlTimes& t, bool uses_tls) {
  Timings out;
  out.connect = span(t.namelookup, t.connect);
  // A handshake that never completed still took time: until the transfer ended.
  if (uses_tls && t.connect > 0) out.tls = span(t.connect, t.appconnect > 0 ? t.appconnect : t.total);
  std::int64_t ready = uses_tls ? t.appconnect : t.connect;
  if (ready > 0) out.ttfb = span(ready, t.starttransfer);
  if (t.starttransfer > 0) out.transfer = span(t.starttransfer, t.total);
  out.total = span(0, t.total);
  return out;
}

Timings add(const Timings& a, const Timings& b) {
  return Timings{plus(a.dns, b.dns),   plus(a.connect, b.connect),   plus(a.tls, b.tls),
                 plus(a.ttfb, b.ttfb), plus(a.transfer, b.transfer), plus(a.total, b.total)};
}

Micros since(std::uint64_t hrtime_ns) { return Micros(static_cast<std::int64_t>((uv_hrtime() - hrtime_ns) / 1000)); }

double to_ms(Micros d) { return std::round(static_cast<double>(d.count()) / 100.0) / 10.0; }

std::string format_ms(double ms) {
  // What "%.1f ms" writes, without printf's set-up: a message of every check has durations.
  char text[48];
  auto [end, error] = std::to_chars(text, text + sizeof text, ms, std::chars_format::fixed, 1);
  if (error != std::errc()) {  // hundreds of digits: no duration is that long, but say what it is
    std::snprintf(text, sizeof text, "%.3g", ms);
    end = text + std::strlen(text);
  }
  return std::string(text, end) + " ms";
}

}  // namespace prober::checks
