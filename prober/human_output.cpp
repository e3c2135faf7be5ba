#include "prober/human_output.h"

#include <string>

#include "checks/text.h"
#include "checks/timings.h"

namespace prober::cli {
namespace {

const char* colour_of(checks::Severity s) {
  switch (s) {
    case checks::Severity::kOk:
      return "\033[32m";
    case checks::Severity::kWarning:
      return "\033[33m";
    case checks::Severity::kCritical:
      return "\033[31m";
    case checks::Severity::kUnknown:
      break;
  }
  return "\033[35m";
}

std::string field(const char* name, const std::optional<checks::Micros>& d) {
  char text[48];
  if (d) {
    std::snprintf(text, sizeof text, "%s %.1f ms", name, checks::to_ms(*d));
  } else {
    std::snprintf(text, sizeof text, "%s -", name);
  }
  return text;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void print_human(std::FILE* out, const std::vector<checks::CheckResult>& results, bool colour) {
  for (const auto& r : results) {
    const char* on = colour ? colour_of(r.failure.severity) : "";
    const char* bold = colour ? "\033[1m" : "";
    const char* off = colour ? "\033[0m" : "";
    std::string where = r.address.empty() ? "" : "  " + r.address;
    std::string phase =
        r.failure.phase == checks::Phase::kNone ? "" : " (" + std::string(to_string(r.failure.phase)) + ")";
    std::fprintf(out, "%s%s%-8s%s %s%s  %s%s\n", bold, on, upper(to_string(r.failure.severity)).c_str(), off,
                 std::string(to_string(r.failure.failure_class)).c_str(), phase.c_str(),
                 checks::printable(r.target).c_str(), where.c_str());
    std::fprintf(out, "  %s\n", checks::printable(r.message).c_str());
    const auto& t = r.timings;
    std::fprintf(out, "  %s | %s | %s | %s | %s | %s\n", field("dns", t.dns).c_str(),
                 field("connect", t.connect).c_str(), field("tls", t.tls).c_str(), field("ttfb", t.ttfb).c_str(),
                 field("transfer", t.transfer).c_str(), field("total", t.total).c_str());
    for (const auto& hop : r.http.redirects) {
      std::fprintf(out, "  redirect: %d %s -> %s\n", hop.status, checks::printable(hop.url).c_str(),
                   checks::printable(hop.location).c_str());
    }
    if (r.tls.version) {
      std::fprintf(out, "  tls: %s %s%s%s\n", r.tls.version->c_str(),
                   checks::printable(r.tls.cipher.value_or("")).c_str(),
                   r.tls.group ? (" group " + checks::printable(*r.tls.group)).c_str() : "",
                   r.tls.alpn ? (" alpn " + checks::printable(*r.tls.alpn)).c_str() : "");
    }
    for (std::size_t i = 0; i < r.tls.chain.size(); ++i) {
      std::fprintf(out, "  cert[%zu]: %s (issuer %s)\n", i, checks::printable(r.tls.chain[i].subject).c_str(),
                   checks::printable(r.tls.chain[i].issuer).c_str());
    }
    for (const auto& f : r.findings) {
      std::fprintf(out, "  also %s: %s\n", std::string(to_string(f.failure_class)).c_str(),
                   checks::printable(f.message).c_str());
    }
    for (const auto& hint : r.hints) std::fprintf(out, "  hint: %s\n", checks::printable(hint).c_str());
    if (!r.detail.empty() && r.failure.failure_class != checks::FailureClass::kOk) {
      std::fprintf(out, "  detail: %s\n", checks::printable(r.detail).c_str());
    }
    for (const auto& d : r.diagnostics) {
      std::fprintf(out, "  diagnose %s: %s\n", d.kind.c_str(), checks::printable(d.summary).c_str());
      for (const auto& line : d.details) std::fprintf(out, "    %s\n", checks::printable(line).c_str());
    }
  }
}

}  // namespace prober::cli
