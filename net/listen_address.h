#pragma once
// The endpoint's HOST:PORT (--web.listen-address, sinks.prometheus.listen): "127.0.0.1:9465",
// "[::1]:9465", ":9465" (every IPv4 address), port 0 for any free port.
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <variant>

namespace prober::net {

// The socket address to bind, or why the text is not one.
std::variant<sockaddr_storage, std::string> parse_listen_address(const std::string& address);

// Whether HOST:PORT listens on loopback only (127.0.0.0/8, ::1, localhost): an empty host or
// 0.0.0.0 / [::] listens everywhere.
bool is_loopback_listen(const std::string& listen);

}  // namespace prober::net
