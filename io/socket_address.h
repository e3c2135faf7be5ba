#pragma once
// The socket address of an IP literal and a port, for the code that opens its own sockets
// (the TLS tunnel of HTTPS checks, the path probe, the ClientHello retries).
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace prober::io {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  void set_port(int port);
};

// `ip`: an IPv4 or IPv6 literal (the address a check probed); an unusable one gives family 0.
SocketAddress socket_address(const std::string& ip, int port);
// The text of an IPv4 (4 bytes) or IPv6 (16 bytes) address in network order, as inet_ntop writes
// it; IPv4 without inet_ntop's sprintf, which a DNS check's every A record paid for.
std::string address_text(int family, const void* bytes);
// A Linux abstract Unix socket: `name` after a leading zero byte, no file. A name too long for
// sun_path gives family 0.
SocketAddress abstract_socket_address(const std::string& name);

}  // namespace prober::io
