#include "net/listen_address.h"

#include <arpa/inet.h>
#include <uv.h>

#include "config/units.h"

namespace prober::net {

std::variant<sockaddr_storage, std::string> parse_listen_address(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return "listen address '" + address + "' is not host:port";
  std::string host = address.substr(0, colon);
  auto parsed_port = config::parse_port(std::string_view(address).substr(colon + 1), 0);
  if (!parsed_port) return "listen address '" + address + "': the port must be 0 to 65535";
  int port = *parsed_port;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  sockaddr_storage addr{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    return "listen address '" + address + "': not an IP address";
  }
  return addr;
}

bool is_loopback_listen(const std::string& listen) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return host == "localhost";
}

}  // namespace prober::net
