// The DNS answer parser, and the wire watch's header reader, on any bytes a server (or an
// attacker racing it) can send.
#include <cstddef>
#include <cstdint>

#include "checks/dns_message.h"
#include "io/dns_wire_watch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto header = prober::io::DnsWireWatch::parse(data, size)) {
    if (!header->question.empty() && header->question.find(' ') == std::string::npos) __builtin_trap();
  }
  auto parsed = prober::checks::parse_dns_message(data, size);
  if (auto* message = std::get_if<prober::checks::DnsMessage>(&parsed)) {
    for (const auto& record : message->answers) {
      (void)prober::checks::dns_type_name(record.type);  // every type gets a name
    }
    (void)prober::checks::dns_rcode_name(message->rcode);
  }
  return 0;
}
