#include "io/socket_address.h"

#include <arpa/inet.h>
#include <sys/un.h>

#include <charconv>
#include <cstddef>
#include <cstring>

#include <cstdint>

namespace prober::io {

void SocketAddress::set_port(int port) {
  auto network = htons(static_cast<std::uint16_t>(port));
  if (storage.ss_family == AF_INET6)
    reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = network;
  else if (storage.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&storage)->sin_port = network;
}

SocketAddress socket_address(const std::string& ip, int port) {
  SocketAddress out;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET6, ip.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    out.length = sizeof *sin6;
  } else if (inet_pton(AF_INET, ip.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    out.length = sizeof *sin;
  }
  out.set_port(port);
  return out;
}

std::string address_text(int family, const void* bytes) {
  if (family == AF_INET) {
    const auto* b = static_cast<const unsigned char*>(bytes);
    char text[16];
    char* at = text;
    for (int i = 0; i < 4; ++i) {
      if (i) *at++ = '.';
      at = std::to_chars(at, text + sizeof text, b[i]).ptr;
    }
    return std::string(text, at);
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (family != AF_INET6 || !inet_ntop(AF_INET6, bytes, text, sizeof text)) return "";
  return text;
}

SocketAddress abstract_socket_address(const std::string& name) {
  SocketAddress out;
  auto* un = reinterpret_cast<sockaddr_un*>(&out.storage);
  if (name.size() + 1 > sizeof un->sun_path) return out;
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path + 1, name.data(), name.size());
  out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return out;
}

}  // namespace prober::io
