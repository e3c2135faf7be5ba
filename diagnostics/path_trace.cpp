#include "diagnostics/path_trace.h"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "checks/address_lookup.h"
#include "checks/timings.h"
#include "io/socket_address.h"
#include "io/uv_handle.h"

namespace prober::diagnostics {
namespace {

constexpr int kBasePort = 33434;  // traceroute's: middleboxes and hosts know these probes

std::string address_text(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) return io::address_text(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  if (sa->sa_family == AF_INET6)
    return io::address_text(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  return "";
}

// What an ICMP error says, for IPv4 (RFC 792) and IPv6 (RFC 4443): a router's time exceeded,
// the destination's port unreachable, or why the destination cannot be reached.
void read_icmp(bool v6, int type, int code, Hop& hop) {
  if ((!v6 && type == 11) || (v6 && type == 3)) {
    hop.said = "time exceeded";
    return;
  }
  bool unreachable = (!v6 && type == 3) || (v6 && type == 1);
  if (unreachable && ((!v6 && code == 3) || (v6 && code == 4))) {
    hop.said = "port unreachable: the destination";
    hop.reached = true;
    return;
  }
  if (unreachable) {
    static const char* const v4[] = {"network unreachable",
                                     "host unreachable",
                                     "protocol unreachable",
                                     "port unreachable",
                                     "fragmentation needed",
                                     "source route failed",
                                     "destination network unknown",
                                     "destination host unknown",
                                     "source host isolated",
                                     "network administratively prohibited",
                                     "host administratively prohibited",
                                     "network unreachable for TOS",
                                     "host unreachable for TOS",
                                     "communication administratively prohibited"};
    static const char* const six[] = {"no route to destination",
                                      "communication administratively prohibited",
                                      "beyond scope of source address",
                                      "address unreachable",
                                      "port unreachable",
                                      "source address failed policy",
                                      "reject route to destination"};
    const char* text = nullptr;
    if (!v6 && code >= 0 && code < static_cast<int>(std::size(v4))) text = v4[code];
    if (v6 && code >= 0 && code < static_cast<int>(std::size(six))) text = six[code];
    hop.said = text ? text : "destination unreachable (code " + std::to_string(code) + ")";
    hop.unreachable = true;
    return;
  }
  hop.said = "ICMP type " + std::to_string(type) + " code " + std::to_string(code);
}

}  // namespace

struct PathTrace::Probe {
  PathTrace* owner = nullptr;
  int ttl = 0;
  int fd = -1;
  bool v6 = false;
  std::uint64_t sent_ns = 0;
  io::UvHandle<uv_poll_t> poll;
  ~Probe() {
    poll.close();  // before the descriptor: libuv must stop watching it first
    if (fd >= 0) ::close(fd);
  }
};

// Waits for the probe's socket to have something (an error queued, a datagram).
void PathTrace::watch(Probe& probe) {
  uv_poll_start(probe.poll.get(), UV_READABLE, [](uv_poll_t* handle, int, int) {
    auto* p = static_cast<Probe*>(handle->data);
    if (p) p->owner->on_readable(*p);
  });
}

checks::Diagnostic summarize_path(const std::string& address, int port, const std::vector<Hop>& hops,
                                  const std::optional<std::string>& send_error, checks::FailureClass failure,
                                  std::chrono::milliseconds waited) {
  checks::Diagnostic d{"path", "", {}};
  const Hop* last = nullptr;     // the furthest hop that answered
  const Hop* reached = nullptr;  // the first hop the destination itself answered
  std::size_t shown = 0;         // hops up to the last that answered; the silent rest is one line
  for (const auto& hop : hops) {
    if (reached) break;
    if (hop.address) last = &hop;
    if (hop.reached) reached = &hop;
    if (hop.address) shown = static_cast<std::size_t>(hop.ttl);
  }
  for (std::size_t i = 0; i < hops.size() && (!reached || hops[i].ttl <= reached->ttl); ++i) {
    const Hop& hop = hops[i];
    std::string ttl = (hop.ttl < 10 ? " " : "") + std::to_string(hop.ttl);
    if (i >= shown) {
      d.details.push_back(ttl + (hops.size() > i + 1 ? "-" + std::to_string(hops.back().ttl) : "") + "  * (no answer)");
      break;
    }
    d.details.push_back(ttl + "  " +
                        (hop.address ? *hop.address + "  " + checks::format_ms(hop.ms) + "  " + hop.said : "*"));
  }
  if (send_error) {
    d.summary = "this vantage cannot send to " + address + ": " + *send_error;
  } else if (reached) {
    d.summary =
        "the path reaches " + address + " in " + std::to_string(reached->ttl) + " hop" + (reached->ttl > 1 ? "s" : "");
    std::string tcp = "TCP port " + std::to_string(port);
    if (failure == checks::FailureClass::kTcpRefused)
      d.summary += ", where " + tcp + " refuses connections: nothing listens, or a firewall at the host rejects them";
    else if (failure == checks::FailureClass::kTcpTimeout)
      d.summary += ", yet " + tcp + " does not answer: a firewall at the host or next to it drops the connection";
  } else if (last && last->unreachable) {
    d.summary = "hop " + std::to_string(last->ttl) + " (" + last->address.value_or("?") + ") says " + address +
                " cannot be reached: " + last->said;
  } else if (last) {
    d.summary = "the path stops after hop " + std::to_string(last->ttl) + " (" + last->address.value_or("?") +
                "): nothing beyond it answered within " + std::to_string(waited.count()) +
                " ms (packets are lost there, or a firewall drops the probes)";
  } else {
    d.summary = "no hop answered, not even the first, within " + std::to_string(waited.count()) +
                " ms: this vantage's own network drops the probes or filters ICMP";
  }
  return d;
}

PathTrace::PathTrace(uv_loop_t* loop, std::string address, int port, checks::FailureClass failure, int max_hops,
                     std::chrono::milliseconds wait)
    : loop_(loop),
      address_(std::move(address)),
      port_(port),
      failure_(failure),
      max_hops_(max_hops),
      wait_(wait),
      timer_(loop) {}

PathTrace::~PathTrace() { done_ = nullptr; }

void PathTrace::start(Done done) {
  done_ = std::move(done);
  io::SocketAddress destination = io::socket_address(address_, 0);
  bool v6 = destination.family() == AF_INET6;
  for (int ttl = 1; ttl <= max_hops_ && !send_error_; ++ttl) {
    hops_.push_back(Hop{ttl, std::nullopt, 0, "", false, false});
    auto probe = std::make_unique<Probe>();
    probe->owner = this;
    probe->ttl = ttl;
    probe->v6 = v6;
    probe->fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (probe->fd < 0) {
      send_error_ = std::string("socket: ") + std::strerror(errno);
      break;
    }
    int on = 1;
    bool set = v6 ? setsockopt(probe->fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on) == 0 &&
                        setsockopt(probe->fd, SOL_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) == 0
                  : setsockopt(probe->fd, SOL_IP, IP_RECVERR, &on, sizeof on) == 0 &&
                        setsockopt(probe->fd, SOL_IP, IP_TTL, &ttl, sizeof ttl) == 0;
    destination.set_port(kBasePort + ttl);
    static const char payload[32] = "prober path probe";
    probe->sent_ns = uv_hrtime();
    if (!set || ::connect(probe->fd, destination.get(), destination.length) != 0 ||
        ::send(probe->fd, payload, sizeof payload, 0) < 0) {
      // A local refusal (no route from here, a firewall on this host) is the answer for every hop.
      send_error_ = std::strerror(errno);
      break;
    }
    if (uv_poll_init(loop_, probe->poll.get(), probe->fd) != 0) {
      probe->poll.init_failed();
      send_error_ = "cannot watch the probe's socket";
      break;
    }
    probe->poll.get()->data = probe.get();
    watch(*probe);
    probes_.push_back(std::move(probe));
  }
  // With a local error, conclude at once (from the loop, as start() promises).
  timer_.start(send_error_ ? 0 : static_cast<std::uint64_t>(wait_.count()), 0, [this] { finish(); });
}

void PathTrace::on_readable(Probe& probe) {
  Hop& hop = hops_[static_cast<std::size_t>(probe.ttl - 1)];
  char data[512];
  char control[512];
  for (;;) {
    sockaddr_storage from{};
    iovec iov{data, sizeof data};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    if (::recvmsg(probe.fd, &message, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
      bool is_error = (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR);
      if (!is_error || hop.address) continue;
      const auto* ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
      if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6) continue;
      hop.address = address_text(SO_EE_OFFENDER(ee));
      hop.ms = static_cast<double>(uv_hrtime() - probe.sent_ns) / 1e6;
      read_icmp(probe.v6, ee->ee_type, ee->ee_code, hop);
    }
  }
  // A datagram back (a UDP service on that port) is the destination answering too.
  if (::recv(probe.fd, data, sizeof data, MSG_DONTWAIT) >= 0 && !hop.address) {
    hop.address = address_;
    hop.ms = static_cast<double>(uv_hrtime() - probe.sent_ns) / 1e6;
    hop.said = "a UDP answer: the destination";
    hop.reached = true;
  }
  // libuv stops a poll handle on POLLERR: keep watching until this hop answered.
  if (!hop.address && probe.poll.get()) {
    watch(probe);
  }
  if (complete()) timer_.start(0, 0);
}

// Every hop up to the destination (or the last hop) answered: no need to wait longer.
bool PathTrace::complete() const {
  for (const auto& hop : hops_) {
    if (!hop.address) return false;
    if (hop.reached || hop.unreachable) return true;
  }
  return true;
}

void PathTrace::finish() {
  probes_.clear();
  auto done = std::move(done_);
  if (done) done(conclude());
}

checks::Diagnostic PathTrace::conclude() const {
  return summarize_path(address_, port_, hops_, send_error_, failure_, wait_);
}

checks::Diagnostic PathTrace::cut_short() {
  done_ = nullptr;
  timer_.stop();
  probes_.clear();
  auto d = conclude();
  d.summary = "cut short at the deadline: " + d.summary;
  return d;
}

}  // namespace prober::diagnostics
