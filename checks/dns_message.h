#pragma once
// A DNS answer message, parsed into presentation text. Pure and bounds-checked: a malformed
// answer is an error value, never a crash (it may come from a hostile server).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace prober::checks {

struct DnsRecord {
  std::string name;
  int type = 0;
  std::uint32_t ttl = 0;
  std::string data;  // presentation form: "203.0.113.7", "10 mx.example.", "\"v=spf1 ...\""
};

struct DnsMessage {
  int rcode = 0;
  bool truncated = false;
  bool authoritative = false;
  std::vector<DnsRecord> answers;
  std::vector<DnsRecord> authority;
};

std::variant<DnsMessage, std::string> parse_dns_message(const unsigned char* data, std::size_t size);

std::optional<int> dns_type_from_name(std::string_view name);  // "A" -> 1
std::string dns_type_name(int type);                           // 1 -> "A", 999 -> "TYPE999"
std::string dns_rcode_name(int rcode);                         // 3 -> "NXDOMAIN"
std::optional<int> dns_rcode_from_name(std::string_view name);

}  // namespace prober::checks
