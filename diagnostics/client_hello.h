#pragma once
// What a ClientHello offered, read from its bytes as sent (OpenSSL's message callback): the
// groups of supported_groups and those it sent a key share for. Bounds-checked: a message cut
// short gives what was read so far.
#include <cstddef>
#include <string>
#include <vector>

namespace prober::diagnostics {

struct OfferedGroups {
  std::vector<std::string> groups;      // supported_groups, in order ("x25519", "X25519MLKEM768", ...)
  std::vector<std::string> key_shares;  // key_share entries, in order
};

// `hello`: the handshake message (type 1, 3-byte length, body).
OfferedGroups offered_groups(const unsigned char* hello, std::size_t size);
std::string group_name(unsigned id);  // IANA TLS Supported Groups; "0x1234" when unknown

}  // namespace prober::diagnostics
