// The floor of a /probe on this machine: a daemon that answers blackbox-style
// /probe?module=http_2xx|dns_a&target=… with only the system calls any prober must make, and next
// to no work of its own. Measured by the peer harness exactly like blackbox_exporter and prober
// (bench/peer_compare.sh floor), it says what CPU per probe the kernel alone costs here, and so
// which ratios against blackbox_exporter any implementation can reach.
//
// Per HTTP probe: read the request, socket + connect (non-blocking), one epoll_ctl (edge-
// triggered, in and out at once, so no modify), send, recv until the response is complete, close,
// writev the answer. Per DNS probe: read, send on one connected UDP socket kept for the target
// (as c-ares keeps its sockets), recv, writev. No TLS, no redirects, no timings, no metrics, no
// logging, no timeouts: a measuring instrument, not a checker.
//
// Usage: probe_floor PORT   (listens on 127.0.0.1:PORT)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

int epoll_fd = -1;

// What an epoll event's data points at.
struct Watched {
  virtual ~Watched() = default;
  virtual void on_event(std::uint32_t events) = 0;
};

void watch(int fd, std::uint32_t events, Watched* w) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = w;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

std::string_view query_value(std::string_view path, std::string_view key) {
  auto q = path.find('?');
  if (q == std::string_view::npos) return {};
  auto rest = path.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    if (pair.substr(0, key.size()) == key && pair.size() > key.size() && pair[key.size()] == '=') {
      return pair.substr(key.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

bool parse_host_port(std::string_view hp, sockaddr_in& out) {
  auto colon = hp.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string host(hp.substr(0, colon));
  out = {};
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<std::uint16_t>(std::atoi(std::string(hp.substr(colon + 1)).c_str())));
  return inet_pton(AF_INET, host.c_str(), &out.sin_addr) == 1;
}

struct Client : Watched, std::enable_shared_from_this<Client> {
  int fd;
  std::string in;
  bool busy = false;
  explicit Client(int f) : fd(f) {}
  ~Client() override { close(fd); }
  void on_event(std::uint32_t events) override;
  void answer(bool ok) {
    static constexpr std::string_view kOk = "# probe_floor\nprobe_success 1\n";
    static constexpr std::string_view kFail = "# probe_floor\nprobe_success 0\n";
    const std::string_view body = ok ? kOk : kFail;
    char head[128];
    int n = std::snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", body.size());
    std::array<iovec, 2> iov{iovec{head, static_cast<size_t>(n)}, iovec{const_cast<char*>(body.data()), body.size()}};
    (void)writev(fd, iov.data(), 2);
    busy = false;
  }
  void start(std::string_view path);
  void serve() {
    // One request at a time per connection, as wrk sends them.
    if (busy) return;
    auto end = in.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::string request = in.substr(0, end);
    in.erase(0, end + 4);
    auto sp1 = request.find(' ');
    auto sp2 = request.find(' ', sp1 + 1);
    busy = true;
    start(std::string_view(request).substr(sp1 + 1, sp2 - sp1 - 1));
  }
};

// Clients are shared so that a probe outliving its client's connection answers nobody.
std::unordered_map<int, std::shared_ptr<Client>> clients;

struct HttpProbe;
// Owned here while in flight; an epoll batch holds one event per socket, so erasing a probe from
// its own event leaves no other event pointing at it.
std::unordered_map<HttpProbe*, std::unique_ptr<HttpProbe>> http_probes;

struct HttpProbe : Watched {
  int fd = -1;
  std::weak_ptr<Client> client;
  std::string request;
  std::string response;
  bool sent = false;
  HttpProbe(std::weak_ptr<Client> c, std::string req) : client(std::move(c)), request(std::move(req)) {}
  ~HttpProbe() override {
    if (fd >= 0) close(fd);
  }
  void finish(bool ok) {
    if (auto c = client.lock()) c->answer(ok);
    http_probes.erase(this);  // destroys this
  }
  // Complete when the headers and Content-Length bytes of body are in.
  int complete() const {
    auto end = response.find("\r\n\r\n");
    if (end == std::string::npos) return 0;
    auto cl = response.find("Content-Length: ");
    std::size_t length =
        cl == std::string::npos || cl > end ? 0 : std::strtoul(response.c_str() + cl + 16, nullptr, 10);
    if (response.size() < end + 4 + length) return 0;
    return response.compare(0, 12, "HTTP/1.1 200") == 0 ? 1 : -1;
  }
  void on_event(std::uint32_t events) override {
    if ((events & EPOLLOUT) && !sent) {
      sent = true;
      if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        return finish(false);
      }
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      char buf[16384];
      for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
          response.append(buf, static_cast<size_t>(n));
          if (int c = complete(); c != 0) return finish(c > 0);
          continue;
        }
        if (n < 0 && errno == EAGAIN) return;
        return finish(false);
      }
    }
  }
};

struct DnsSocket : Watched {
  int fd = -1;
  std::uint16_t next_id = 1;
  std::unordered_map<std::uint16_t, std::weak_ptr<Client>> waiting;
  void on_event(std::uint32_t) override {
    unsigned char buf[4096];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0) return;
      if (n < 12) continue;
      std::uint16_t id = static_cast<std::uint16_t>(buf[0] << 8 | buf[1]);
      auto it = waiting.find(id);
      if (it == waiting.end()) continue;
      auto c = it->second.lock();
      waiting.erase(it);
      const bool ok = (buf[3] & 0x0f) == 0 && (buf[6] << 8 | buf[7]) > 0;  // NOERROR, an answer
      if (c) c->answer(ok);
    }
  }
};

std::map<std::string, std::unique_ptr<DnsSocket>, std::less<>> dns_sockets;

void dns_probe(Client* c, std::string_view target, std::string_view name) {
  auto it = dns_sockets.find(target);
  if (it == dns_sockets.end()) {
    sockaddr_in to{};
    if (!parse_host_port(target, to)) return c->answer(false);
    auto s = std::make_unique<DnsSocket>();
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    connect(s->fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
    watch(s->fd, EPOLLIN | EPOLLET, s.get());
    it = dns_sockets.emplace(std::string(target), std::move(s)).first;
  }
  DnsSocket& s = *it->second;
  unsigned char q[512];
  std::uint16_t id = s.next_id++;
  std::size_t n = 0;
  q[n++] = id >> 8;
  q[n++] = id & 0xff;
  q[n++] = 0x01;  // recursion desired
  q[n++] = 0;
  const unsigned char counts[8] = {0, 1, 0, 0, 0, 0, 0, 0};
  std::memcpy(q + n, counts, 8);
  n += 8;
  while (!name.empty() && n < 480) {
    auto dot = name.find('.');
    auto label = name.substr(0, dot);
    q[n++] = static_cast<unsigned char>(label.size());
    std::memcpy(q + n, label.data(), label.size());
    n += label.size();
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  const unsigned char tail[5] = {0, 0, 1, 0, 1};  // root, type A, class IN
  std::memcpy(q + n, tail, 5);
  n += 5;
  s.waiting[id] = c->weak_from_this();
  if (send(s.fd, q, n, 0) < 0) {
    s.waiting.erase(id);
    c->answer(false);
  }
}

void Client::start(std::string_view path) {
  auto module = query_value(path, "module");
  auto target = query_value(path, "target");
  if (module.substr(0, 3) == "dns") return dns_probe(this, target, "bench.test");
  // http://HOST:PORT/PATH, with %3A / %2F as wrk's URL may carry them unescaped or not.
  std::string t(target);
  for (std::size_t p; (p = t.find("%3A")) != std::string::npos;) t.replace(p, 3, ":");
  for (std::size_t p; (p = t.find("%2F")) != std::string::npos;) t.replace(p, 3, "/");
  if (t.rfind("http://", 0) != 0) return answer(false);
  auto rest = std::string_view(t).substr(7);
  auto slash = rest.find('/');
  auto hostport = rest.substr(0, slash);
  std::string resource = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  sockaddr_in to{};
  if (!parse_host_port(hostport, to)) return answer(false);
  auto owned = std::make_unique<HttpProbe>(
      weak_from_this(), "GET " + resource + " HTTP/1.1\r\nHost: " + std::string(hostport) +
                            "\r\nUser-Agent: probe_floor\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  HttpProbe* probe = owned.get();
  http_probes.emplace(probe, std::move(owned));
  probe->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (connect(probe->fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS) {
    return probe->finish(false);
  }
  watch(probe->fd, EPOLLIN | EPOLLOUT | EPOLLET, probe);
}

void Client::on_event(std::uint32_t events) {
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) break;  // drained: saves the read that says EAGAIN
      continue;
    }
    if (n < 0 && errno == EAGAIN) break;
    clients.erase(fd);  // destroys this unless a probe is still in flight
    return;
  }
  (void)events;
  serve();
}

struct Listener : Watched {
  int fd;
  explicit Listener(int f) : fd(f) {}
  void on_event(std::uint32_t) override {
    for (;;) {
      int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) return;
      int one = 1;
      setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto client = std::make_shared<Client>(c);
      watch(c, EPOLLIN | EPOLLET, client.get());
      clients[c] = std::move(client);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || listen(lfd, 4096) != 0) {
    std::perror("probe_floor: listen");
    return 1;
  }
  Listener listener(lfd);
  watch(lfd, EPOLLIN | EPOLLET, &listener);
  std::array<epoll_event, 256> events{};
  for (;;) {
    int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) static_cast<Watched*>(events[i].data.ptr)->on_event(events[i].events);
  }
}
