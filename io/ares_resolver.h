#pragma once
// c-ares 1.18 on the libuv loop: ARES_OPT_SOCK_STATE_CB tells which sockets to poll,
// ares_process_fd handles their events, ares_timeout re-arms one uv timer after every call.
// Queries return the raw answer so the caller sees the rcode itself (ARES_FLAG_NOCHECKRESP).
#include <ares.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "io/dns_wire_watch.h"
#include "io/socket_watcher.h"
#include "io/uv_timer.h"

namespace prober::io {

struct DnsReply {
  int status = ARES_SUCCESS;          // ARES_SUCCESS or an ARES_E* code
  std::vector<unsigned char> answer;  // the whole DNS message, when status == ARES_SUCCESS
  // With a failed status: what the server sent that c-ares dropped (wrong id, unparsable, another
  // question, truncated and the TCP retry failed). See DnsWireWatch.
  std::optional<std::string> unusable;
};

struct ResolverOptions {
  std::vector<std::string> servers;  // "1.2.3.4", "1.2.3.4:53", "[::1]:53"; empty: the system's
  bool use_tcp = false;
  std::chrono::milliseconds try_timeout{2000};
  int tries = 2;
};

class AresResolver {
 public:
  using QueryId = std::uint64_t;
  using Callback = std::function<void(DnsReply)>;

  // Returns the resolver, or an error message (bad server address, c-ares refused to start).
  // Its sockets are watched through `sockets`, which must outlive it.
  static std::variant<std::unique_ptr<AresResolver>, std::string> create(uv_loop_t* loop, SocketWatcher& sockets,
                                                                         const ResolverOptions& options);
  struct Key {  // only create() can make one: a resolver is unusable until create() set it up
   private:
    Key() = default;
    friend class AresResolver;
  };
  AresResolver(uv_loop_t* loop, SocketWatcher& sockets, Key);
  // Why `server` is not "IP", "IP:PORT" or "[IPv6]:PORT", or nullopt when it is.
  static std::optional<std::string> server_address_error(const std::string& server);
  // The address of "IP", "IP:PORT" or "[IPv6]:PORT" (a bare IPv6 address is all address).
  static std::string server_host(const std::string& server);
  AresResolver(const AresResolver&) = delete;
  AresResolver& operator=(const AresResolver&) = delete;
  ~AresResolver();

  // Sends one question (class IN, recursion desired). `done` runs once from the loop, never from
  // inside query() (ares_send can answer at once: no server, ENOMEM, every socket refused),
  // unless the query is cancelled first.
  QueryId query(std::string_view name, int type, Callback done);
  void cancel(QueryId id) noexcept;
  // For a query still waiting: what came back that could not be used, so far (DnsReply::unusable).
  std::optional<std::string> unusable_reply(QueryId id) const;
  // Addresses for `name` from the hosts file (as the system resolver would answer "localhost").
  std::vector<std::string> hosts_file_addresses(std::string_view name, int family);
  const std::string& servers() const noexcept { return servers_; }
  // Where this resolver's sockets are watched: resolvers made beside it can share it.
  SocketWatcher& sockets() const noexcept { return sockets_; }

 private:
  struct Pending {  // what c-ares holds as its callback argument until it answers
    AresResolver* self;
    QueryId id;
    Callback done;  // empty once cancelled
    std::string name;
    int type = 0;
    std::uint64_t since = 0;  // the wire watch's tick when it was sent
  };

  static void on_sock_state(void* self, ares_socket_t fd, int readable, int writable) noexcept;
  static void on_ready(void* self, int fd, int events, bool failed) noexcept;
  static void on_answer(void* arg, int status, int timeouts, unsigned char* abuf, int alen) noexcept;
  void deliver_deferred() noexcept;
  void defer(QueryId id, DnsReply reply);
  void deliver(QueryId id, DnsReply reply) noexcept;
  void rearm_timer() noexcept;
  void process(ares_socket_t read_fd, ares_socket_t write_fd) noexcept;

  SocketWatcher& sockets_;
  ares_channel channel_ = nullptr;
  bool destroying_ = false;
  std::string servers_;
  DnsWireWatch wire_;       // before the timers: c-ares' sockets go through it until ares_destroy
  UvTimer timer_;           // c-ares' next timeout
  UvTimer deferred_timer_;  // delivers answers that came while a query was being sent
  std::vector<std::pair<QueryId, DnsReply>> deferred_;
  bool sending_ = false;
  std::unordered_map<QueryId, std::unique_ptr<Pending>> pending_;
  QueryId next_id_ = 1;
  // DNS message ids: random per query. ares_send keeps the id of the packet it is given, and a
  // query given up at its deadline stays in c-ares until c-ares' own timeout: with one fixed id,
  // an answer to the next query is matched to the abandoned one (checks then time out forever
  // after any outage). Random ids also make off-path spoofing harder.
  std::mt19937 random_ids_{std::random_device{}()};
};

// One resolver per distinct server list (with its transport, timeout and tries), created on first
// use. The pool keeps the `max_kept` most recently used: /probe makes a server list of every DNS
// target it is asked about and a resolver holds ~90 KB (c-ares' channel), so keeping every one
// would let whoever may call /probe grow the agent without bound. A resolver the pool lets go
// lives on while a check holds it, and is destroyed from the pool's own timer: never inside one
// of its own callbacks, where c-ares forbids it.
class ResolverPool {
 public:
  static constexpr std::size_t kMaxKept = 256;

  explicit ResolverPool(uv_loop_t* loop, std::size_t max_kept = kMaxKept);
  std::variant<std::shared_ptr<AresResolver>, std::string> get(const ResolverOptions& options);
  std::size_t kept() const noexcept { return by_key_.size(); }
  // Let go of by the pool, not destroyed yet (still held, or waiting for the timer).
  std::size_t retired() const noexcept { return retired_.size(); }

 private:
  using Kept = std::list<std::pair<std::string, std::shared_ptr<AresResolver>>>;  // most recent first
  void reap() noexcept;

  uv_loop_t* loop_;
  std::size_t max_kept_;
  SocketWatcher sockets_;  // every resolver's sockets; declared first, so it outlives them
  Kept kept_;
  std::unordered_map<std::string, Kept::iterator> by_key_;
  std::vector<std::shared_ptr<AresResolver>> retired_;
  UvTimer reaper_;
};

}  // namespace prober::io
