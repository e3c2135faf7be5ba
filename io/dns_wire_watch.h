#pragma once
// What c-ares silently drops. A reply that does not parse, carries another message id, or
// answers another question is discarded by c-ares, which then waits for its deadline and
// reports a timeout; a truncated UDP answer is retried over TCP, and a failed retry reads as
// "connection refused". Installed as the channel's socket functions, this watch sees every
// datagram (and TCP connect) c-ares handles and remembers, per question, what came back that
// could not be used, so a timeout can be reported as the bad answer it was.
#include <ares.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace prober::io {

class DnsWireWatch {
 public:
  // Makes the channel's sockets go through this watch (which must outlive the channel).
  void install(ares_channel channel);

  // What came back for `name`/`type` since `since` (a tick of now()) that c-ares could not use,
  // in words ("an answer with message id 0x1235 to a query with id 0x1234"), or nullopt.
  std::optional<std::string> unusable_since(std::string_view name, int type, std::uint64_t since) const;
  // A monotonic count of events, for since.
  std::uint64_t now() const noexcept { return tick_; }

  // The parts of a DNS message this watch reads. Public for tests.
  struct Header {
    std::uint16_t id = 0;
    bool is_answer = false;
    bool truncated = false;
    std::string question;  // "name TYPE", lower case; empty when it did not parse
  };
  static std::optional<Header> parse(const unsigned char* data, std::size_t size);
  static std::string question_key(std::string_view name, int type);

 private:
  struct Event {
    std::uint64_t tick;
    std::string what;
  };
  struct SocketState {
    bool udp = false;
    std::map<std::uint16_t, std::string> sent;  // message id -> question, on this socket
  };

  static ares_socket_t on_socket(int domain, int type, int protocol, void* self);
  static int on_close(ares_socket_t fd, void* self);
  static int on_connect(ares_socket_t fd, const struct sockaddr* address, ares_socklen_t length, void* self);
  static ares_ssize_t on_recvfrom(ares_socket_t fd, void* buffer, size_t length, int flags, struct sockaddr* from,
                                  ares_socklen_t* from_length, void* self);
  static ares_ssize_t on_sendv(ares_socket_t fd, const struct iovec* parts, int count, void* self);

  void sent(ares_socket_t fd, const unsigned char* data, std::size_t size);
  void received(ares_socket_t fd, const unsigned char* data, std::size_t size);
  void note(const std::string& question, std::string what);
  void tcp_failed(ares_socket_t fd, const std::string& how) noexcept;

  std::unordered_map<ares_socket_t, SocketState> sockets_;
  std::unordered_map<std::string, Event> unusable_;  // question -> the last unusable reply
  std::uint64_t tick_ = 1;
};

}  // namespace prober::io
