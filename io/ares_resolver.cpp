#include "io/ares_resolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "io/socket_address.h"

namespace prober::io {
namespace {

std::string describe_servers(ares_channel channel) {
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(channel, &servers) != ARES_SUCCESS) return "";
  std::string out;
  for (auto* s = servers; s; s = s->next) {
    std::string text = address_text(s->family, &s->addr);
    int port = s->udp_port ? s->udp_port : 53;
    if (!out.empty()) out += ",";
    out += s->family == AF_INET6 ? "[" + text + "]:" + std::to_string(port) : text + ":" + std::to_string(port);
  }
  ares_free_data(servers);
  return out;
}

}  // namespace

AresResolver::AresResolver(uv_loop_t* loop, SocketWatcher& sockets, Key)
    : sockets_(sockets),
      timer_(loop, [this] { process(ARES_SOCKET_BAD, ARES_SOCKET_BAD); }),
      deferred_timer_(loop, [this] { deliver_deferred(); }) {}

std::variant<std::unique_ptr<AresResolver>, std::string> AresResolver::create(uv_loop_t* loop, SocketWatcher& sockets,
                                                                              const ResolverOptions& options) {
  auto resolver = std::make_unique<AresResolver>(loop, sockets, Key{});
  ares_options opts{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  opts.sock_state_cb = &AresResolver::on_sock_state;
  opts.sock_state_cb_data = resolver.get();
  // NOCHECKRESP: hand SERVFAIL/REFUSED answers to us instead of retrying them silently.
  opts.flags = ARES_FLAG_NOCHECKRESP | (options.use_tcp ? ARES_FLAG_USEVC : 0);
  // c-ares takes an int of milliseconds: a longer try is clamped, never wrapped negative.
  opts.timeout = static_cast<int>(std::clamp<std::int64_t>(options.try_timeout.count(), 1, INT32_MAX));
  opts.tries = options.tries;
#ifdef ARES_OPT_UDP_MAX_QUERIES
  // c-ares 1.20 and later (Debian 13) otherwise send every query through one UDP socket for as
  // long as queries keep coming: one source port, so an off-path forger of answers has only the
  // 16-bit message id left to guess. A new port every 16 queries keeps the port's entropy, and
  // replies spread over several sockets are read in fewer loop turns (measured through /probe on
  // Debian 13: 45 -> 40 us CPU per DNS probe at wrk -c16). c-ares 1.18 (Debian 12) closes a
  // socket whenever no query is pending on it.
  mask |= ARES_OPT_UDP_MAX_QUERIES;
  opts.udp_max_queries = 16;
#endif
#ifdef ARES_OPT_QUERY_CACHE
  // c-ares 1.23 and later (Debian 13) cache answers for their TTL by default: every run of a
  // check must ask the server, or a server that died is reported up until the TTL runs out.
  mask |= ARES_OPT_QUERY_CACHE;
  opts.qcache_max_ttl = 0;
#endif
  if (int rc = ares_init_options(&resolver->channel_, &opts, mask); rc != ARES_SUCCESS) {
    resolver->channel_ = nullptr;
    return std::string("cannot start the DNS resolver: ") + ares_strerror(rc);
  }
  resolver->wire_.install(resolver->channel_);
  if (!options.servers.empty()) {
    std::string csv;
    for (const auto& s : options.servers) csv += (csv.empty() ? "" : ",") + s;
    if (int rc = ares_set_servers_ports_csv(resolver->channel_, csv.c_str()); rc != ARES_SUCCESS) {
      return "invalid DNS server list '" + csv + "': " + ares_strerror(rc);
    }
  }
  resolver->servers_ = describe_servers(resolver->channel_);
  return resolver;
}

AresResolver::~AresResolver() {
  destroying_ = true;  // ares_destroy answers pending queries with ARES_EDESTRUCTION: drop those
  if (channel_) ares_destroy(channel_);
  pending_.clear();
  sockets_.forget_owner(this);
}

AresResolver::QueryId AresResolver::query(std::string_view name, int type, Callback done) {
  QueryId id = next_id_++;
  auto pending = std::make_unique<Pending>(Pending{this, id, std::move(done), std::string(name), type, wire_.now()});
  unsigned char* packet = nullptr;
  int length = 0;
  std::string host(name);
  auto message_id = static_cast<unsigned short>(std::uniform_int_distribution<int>(0, 0xffff)(random_ids_));
  int rc = ares_create_query(host.c_str(), ns_c_in, type, message_id, 1, &packet, &length, 0);
  Pending* arg = pending.get();
  pending_.emplace(id, std::move(pending));
  if (rc != ARES_SUCCESS) {
    defer(id, DnsReply{rc, {}});
    return id;
  }
  sending_ = true;  // an answer from inside ares_send is deferred to the loop (on_answer)
  ares_send(channel_, packet, length, &AresResolver::on_answer, arg);
  sending_ = false;
  ares_free_string(packet);
  rearm_timer();
  return id;
}

void AresResolver::defer(QueryId id, DnsReply reply) {
  deferred_.emplace_back(id, std::move(reply));
  deferred_timer_.start(0);
}

void AresResolver::cancel(QueryId id) noexcept {
  // c-ares still holds the Pending: forget the callback, free it when c-ares answers.
  if (auto it = pending_.find(id); it != pending_.end()) it->second->done = nullptr;
}

std::optional<std::string> AresResolver::unusable_reply(QueryId id) const {
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  return wire_.unusable_since(it->second->name, it->second->type, it->second->since);
}

std::vector<std::string> AresResolver::hosts_file_addresses(std::string_view name, int family) {
  std::vector<std::string> out;
  hostent* host = nullptr;
  std::string n(name);
  if (ares_gethostbyname_file(channel_, n.c_str(), family, &host) != ARES_SUCCESS || !host) return out;
  for (char** a = host->h_addr_list; *a; ++a) out.push_back(address_text(host->h_addrtype, *a));
  ares_free_hostent(host);
  return out;
}

void AresResolver::on_answer(void* arg, int status, int, unsigned char* abuf, int alen) noexcept {
  auto* pending = static_cast<Pending*>(arg);
  AresResolver* self = pending->self;
  DnsReply reply;
  reply.status = status;
  if (status == ARES_SUCCESS && abuf && alen > 0) reply.answer.assign(abuf, abuf + alen);
  if (status != ARES_SUCCESS && !self->destroying_) {
    try {
      reply.unusable = self->wire_.unusable_since(pending->name, pending->type, pending->since);
    } catch (...) {  // out of memory: the failure is reported without what the wire showed
    }
  }
  if (self->sending_ && !self->destroying_) {
    try {
      self->defer(pending->id, std::move(reply));
    } catch (...) {
      self->deliver(pending->id, DnsReply{ARES_ENOMEM, {}});
    }
    return;
  }
  self->deliver(pending->id, std::move(reply));
}

void AresResolver::deliver(QueryId id, DnsReply reply) noexcept {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Callback done = std::move(it->second->done);
  pending_.erase(it);
  if (destroying_ || !done) return;
  try {
    done(std::move(reply));
  } catch (...) {
    std::fprintf(stderr, "prober: a DNS completion threw; result dropped\n");
  }
}

void AresResolver::deliver_deferred() noexcept {
  auto due = std::move(deferred_);
  deferred_.clear();
  for (auto& [id, reply] : due) deliver(id, std::move(reply));
}

void AresResolver::on_sock_state(void* data, ares_socket_t fd, int readable, int writable) noexcept {
  auto* self = static_cast<AresResolver*>(data);
  if (!readable && !writable) {
    self->sockets_.forget(fd);  // (0,0): c-ares is about to close the fd
    return;
  }
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  if (int rc = self->sockets_.watch(fd, events, &AresResolver::on_ready, self); rc != 0) {
    std::fprintf(stderr, "prober: cannot watch a DNS socket: %s\n", uv_strerror(rc));
  }
}

void AresResolver::on_ready(void* data, int fd, int events, bool failed) noexcept {
  auto* self = static_cast<AresResolver*>(data);
  // On a socket error let c-ares try both directions so it sees the socket's error itself.
  bool read = failed || (events & UV_READABLE);
  bool write = failed || (events & UV_WRITABLE);
  self->process(read ? fd : ARES_SOCKET_BAD, write ? fd : ARES_SOCKET_BAD);
}

void AresResolver::process(ares_socket_t read_fd, ares_socket_t write_fd) noexcept {
  ares_process_fd(channel_, read_fd, write_fd);
  rearm_timer();
}

void AresResolver::rearm_timer() noexcept {
  timeval tv{};
  if (!ares_timeout(channel_, nullptr, &tv)) {
    timer_.stop();
    return;
  }
  uint64_t ms = static_cast<uint64_t>(tv.tv_sec) * 1000 + static_cast<uint64_t>(tv.tv_usec + 999) / 1000;
  timer_.start(ms);
}

std::string AresResolver::server_host(const std::string& server) {
  if (!server.empty() && server.front() == '[') return server.substr(1, server.find(']') - 1);
  if (std::count(server.begin(), server.end(), ':') == 1) return server.substr(0, server.find(':'));
  return server;
}

std::optional<std::string> AresResolver::server_address_error(const std::string& server) {
  std::string host = server_host(server);
  std::string port;
  if (!server.empty() && server.front() == '[') {
    auto close = server.find(']');
    if (close == std::string::npos) return "DNS server '" + server + "': missing ']'";
    if (close + 1 < server.size()) {
      if (server[close + 1] != ':') return "DNS server '" + server + "': expected ':' after ']'";
      port = server.substr(close + 2);
    }
  } else if (host.size() != server.size()) {
    port = server.substr(host.size() + 1);
  }
  unsigned char buffer[sizeof(in6_addr)];
  if (inet_pton(AF_INET, host.c_str(), buffer) != 1 && inet_pton(AF_INET6, host.c_str(), buffer) != 1) {
    return "DNS server '" + server + "' is not an IP address (IP, IP:PORT or [IPv6]:PORT)";
  }
  if (!port.empty()) {
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p < 1 || p > 65535) return "DNS server '" + server + "': invalid port";
  }
  return std::nullopt;
}

ResolverPool::ResolverPool(uv_loop_t* loop, std::size_t max_kept)
    : loop_(loop), max_kept_(std::max<std::size_t>(max_kept, 1)), sockets_(loop), reaper_(loop, [this] { reap(); }) {}

std::variant<std::shared_ptr<AresResolver>, std::string> ResolverPool::get(const ResolverOptions& options) {
  std::string key = options.use_tcp ? "tcp|" : "udp|";
  for (const auto& s : options.servers) key += s + ",";
  key += "|" + std::to_string(options.try_timeout.count()) + "|" + std::to_string(options.tries);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    kept_.splice(kept_.begin(), kept_, it->second);  // now the most recently used
    return kept_.front().second;
  }
  auto created = AresResolver::create(loop_, sockets_, options);
  if (auto* error = std::get_if<std::string>(&created)) return *error;
  std::shared_ptr<AresResolver> resolver = std::move(std::get<std::unique_ptr<AresResolver>>(created));
  kept_.emplace_front(key, resolver);
  by_key_[key] = kept_.begin();
  if (kept_.size() > max_kept_) {
    by_key_.erase(kept_.back().first);
    retired_.push_back(std::move(kept_.back().second));
    kept_.pop_back();
    if (!reaper_.active()) reaper_.start(1000, 1000);
  }
  return resolver;
}

void ResolverPool::reap() noexcept {
  std::erase_if(retired_, [](const std::shared_ptr<AresResolver>& r) { return r.use_count() == 1; });
  if (retired_.empty()) reaper_.stop();
}

}  // namespace prober::io
