#include "io/dns_wire_watch.h"

#include <arpa/nameser.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace prober::io {
namespace {

// The watch's functions, one table for every channel (the watch is their user data).
constexpr std::size_t kMaxQuestions = 4096;  // remembered unusable replies, oldest forgotten first

std::string hex_id(std::uint16_t id) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", id);
  return text;
}

}  // namespace

std::string DnsWireWatch::question_key(std::string_view name, int type) {
  std::string key;
  key.reserve(name.size() + 6);
  for (char c : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!key.empty() && key.back() == '.') key.pop_back();
  switch (type) {
    case ns_t_a:
      return key + " A";
    case ns_t_aaaa:
      return key + " AAAA";
    case ns_t_cname:
      return key + " CNAME";
    case ns_t_mx:
      return key + " MX";
    case ns_t_txt:
      return key + " TXT";
    case ns_t_ns:
      return key + " NS";
    case ns_t_soa:
      return key + " SOA";
    case ns_t_srv:
      return key + " SRV";
    case ns_t_ptr:
      return key + " PTR";
    default:
      return key + " TYPE" + std::to_string(type);
  }
}

std::optional<DnsWireWatch::Header> DnsWireWatch::parse(const unsigned char* data, std::size_t size) {
  if (size < 12) return std::nullopt;
  Header h;
  h.id = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  h.is_answer = (data[2] & 0x80) != 0;
  h.truncated = (data[2] & 0x02) != 0;
  unsigned questions = static_cast<unsigned>(data[4] << 8 | data[5]);
  if (questions != 1) return h;
  std::size_t at = 12;
  std::string name;
  while (at < size && data[at] != 0) {
    unsigned label = data[at];
    if (label > 63 || at + 1 + label > size) return h;  // a pointer or a label past the end
    if (!name.empty()) name += '.';
    name.append(reinterpret_cast<const char*>(data + at + 1), label);
    at += 1 + label;
  }
  if (at + 5 > size) return h;
  int type = data[at + 1] << 8 | data[at + 2];
  h.question = question_key(name, type);
  return h;
}

void DnsWireWatch::install(ares_channel channel) {
  static const ares_socket_functions functions{&DnsWireWatch::on_socket, &DnsWireWatch::on_close,
                                               &DnsWireWatch::on_connect, &DnsWireWatch::on_recvfrom,
                                               &DnsWireWatch::on_sendv};
  ares_set_socket_functions(channel, &functions, this);
}

std::optional<std::string> DnsWireWatch::unusable_since(std::string_view name, int type, std::uint64_t since) const {
  auto it = unusable_.find(question_key(name, type));
  if (it == unusable_.end() || it->second.tick < since) return std::nullopt;
  return it->second.what;
}

ares_socket_t DnsWireWatch::on_socket(int domain, int type, int protocol, void* self) {
  // c-ares leaves a socket from these functions as it was made (1.18 skips its own set-up):
  // non-blocking here, or a TCP connect or a full send would stall the loop.
  int fd = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd >= 0) {
    auto* watch = static_cast<DnsWireWatch*>(self);
    try {
      watch->sockets_[fd] = SocketState{(type & 0xff) == SOCK_DGRAM, {}};
    } catch (...) {  // unwatched: c-ares works as without the watch
    }
  }
  return fd < 0 ? ARES_SOCKET_BAD : fd;
}

int DnsWireWatch::on_close(ares_socket_t fd, void* self) {
  static_cast<DnsWireWatch*>(self)->sockets_.erase(fd);
  return ::close(fd);
}

int DnsWireWatch::on_connect(ares_socket_t fd, const struct sockaddr* address, ares_socklen_t length, void* self) {
  int rc = ::connect(fd, address, length);
  int error = errno;
  if (rc != 0 && error != EINPROGRESS) {
    static_cast<DnsWireWatch*>(self)->tcp_failed(fd, "failed: " + std::string(std::strerror(error)));
  }
  errno = error;
  return rc;
}

ares_ssize_t DnsWireWatch::on_recvfrom(ares_socket_t fd, void* buffer, size_t length, int flags, struct sockaddr* from,
                                       ares_socklen_t* from_length, void* self) {
  ares_ssize_t n = from ? ::recvfrom(fd, buffer, length, flags, from, from_length) : ::recv(fd, buffer, length, flags);
  int error = errno;
  if (n > 0) {
    try {
      static_cast<DnsWireWatch*>(self)->received(fd, static_cast<const unsigned char*>(buffer),
                                                 static_cast<std::size_t>(n));
    } catch (...) {  // out of memory: this answer is not watched; c-ares still gets it
    }
  } else if (n == 0) {
    static_cast<DnsWireWatch*>(self)->tcp_failed(fd, "was closed by the server without an answer");
  } else if (error != EAGAIN && error != EWOULDBLOCK && error != EINTR) {
    static_cast<DnsWireWatch*>(self)->tcp_failed(fd, "failed: " + std::string(std::strerror(error)));
  }
  errno = error;
  return n;
}

ares_ssize_t DnsWireWatch::on_sendv(ares_socket_t fd, const struct iovec* parts, int count, void* self) {
  ares_ssize_t n = ::writev(fd, parts, count);
  int error = errno;
  if (n > 0) {
    try {
      std::vector<unsigned char> bytes;
      for (int i = 0; i < count; ++i) {
        const auto* base = static_cast<const unsigned char*>(parts[i].iov_base);
        bytes.insert(bytes.end(), base, base + parts[i].iov_len);
      }
      auto* watch = static_cast<DnsWireWatch*>(self);
      auto it = watch->sockets_.find(fd);
      if (it != watch->sockets_.end()) {
        // TCP carries a two-byte length first.
        std::size_t skip = it->second.udp ? 0 : 2;
        if (bytes.size() > skip) watch->sent(fd, bytes.data() + skip, bytes.size() - skip);
      }
    } catch (...) {  // out of memory: this query is not watched; it is sent all the same
    }
  }
  errno = error;
  return n;
}

void DnsWireWatch::tcp_failed(ares_socket_t fd, const std::string& how) noexcept {
  auto it = sockets_.find(fd);
  if (it == sockets_.end() || it->second.udp) return;
  // c-ares goes to TCP after a truncated answer: that retry failing is the rest of the story.
  try {
    for (auto& [question, event] : unusable_) {
      if (event.what.find("truncated") != std::string::npos && event.what.find("TCP retry") == std::string::npos)
        event.what += ", and the TCP retry " + how;
    }
  } catch (...) {  // out of memory: the explanation lacks the TCP retry's part
  }
}

void DnsWireWatch::sent(ares_socket_t fd, const unsigned char* data, std::size_t size) {
  auto header = parse(data, size);
  if (!header || header->question.empty()) return;
  auto& socket = sockets_[fd];
  if (socket.sent.size() >= 256) socket.sent.erase(socket.sent.begin());
  socket.sent[header->id] = header->question;
  ++tick_;
}

void DnsWireWatch::received(ares_socket_t fd, const unsigned char* data, std::size_t size) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end() || !it->second.udp || it->second.sent.empty()) return;  // TCP is a stream
  const auto& sent = it->second.sent;
  auto header = parse(data, size);
  auto note_all = [&](const std::string& what) {
    for (const auto& [id, question] : sent) note(question, what);
  };
  if (!header) return note_all("a reply of " + std::to_string(size) + " bytes, too short for a DNS header");
  auto asked = sent.find(header->id);
  if (!header->is_answer) return note_all("a datagram that is not a DNS answer (QR bit clear)");
  if (header->question.empty()) {
    if (asked != sent.end()) return note(asked->second, "an answer whose question section does not parse");
    return note_all("an answer whose question section does not parse");
  }
  if (asked == sent.end()) {
    std::string what = "an answer with message id " + hex_id(header->id) + ", which no query on that socket had";
    for (const auto& [id, question] : sent) {
      if (question == header->question) return note(question, what + " (the query had " + hex_id(id) + ")");
    }
    return note_all(what);
  }
  if (asked->second != header->question) {
    return note(asked->second,
                "an answer to another question (asked " + asked->second + ", answered " + header->question + ")");
  }
  if (header->truncated) note(asked->second, "a truncated answer over UDP (TC bit)");
}

void DnsWireWatch::note(const std::string& question, std::string what) {
  if (unusable_.size() >= kMaxQuestions && !unusable_.count(question)) unusable_.clear();
  unusable_[question] = Event{++tick_, std::move(what)};
}

}  // namespace prober::io
