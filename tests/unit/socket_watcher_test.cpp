// The loop's one epoll set for the checks' sockets: what is reported, to whom, and what is not.
#include "io/socket_watcher.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "io/loop.h"

namespace {

using prober::io::SocketWatcher;

struct Seen {
  int fd;
  int events;
  bool failed;
};

struct Recorder {
  std::vector<Seen> seen;
  SocketWatcher* watcher = nullptr;

  static void ready(void* self, int fd, int events, bool failed) {
    static_cast<Recorder*>(self)->seen.push_back({fd, events, failed});
  }
};

struct Pair {
  int fd[2] = {-1, -1};
  Pair() { REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) == 0); }
  ~Pair() { close_both(); }
  void close_both() {
    for (int& f : fd) {
      if (f >= 0) ::close(f);
      f = -1;
    }
  }
};

// A loop, its watcher and what the watcher reported, for each test.
struct Watching {
  prober::io::Loop loop;
  SocketWatcher watcher{loop.get()};
  Recorder r;
  void turn() { uv_run(loop.get(), UV_RUN_NOWAIT); }
};

}  // namespace

TEST_CASE_FIXTURE(Watching,
                  "a watched socket is reported while it is ready, in the directions watched, and not once forgotten") {
  Pair p;
  REQUIRE(watcher.watch(p.fd[0], UV_READABLE, &Recorder::ready, &r) == 0);
  CHECK(watcher.watched() == 1);
  turn();
  CHECK(r.seen.empty());  // nothing to read yet

  REQUIRE(::write(p.fd[1], "x", 1) == 1);
  turn();
  REQUIRE(r.seen.size() == 1);
  CHECK(r.seen[0].fd == p.fd[0]);
  CHECK(r.seen[0].events == UV_READABLE);  // writable too, but not watched
  CHECK_FALSE(r.seen[0].failed);
  turn();
  CHECK(r.seen.size() == 2);  // level-triggered: still unread, reported again

  // Changing what is watched: now writable only.
  REQUIRE(watcher.watch(p.fd[0], UV_WRITABLE, &Recorder::ready, &r) == 0);
  r.seen.clear();
  turn();
  REQUIRE(r.seen.size() == 1);
  CHECK(r.seen[0].events == UV_WRITABLE);

  watcher.forget(p.fd[0]);
  CHECK(watcher.watched() == 0);
  r.seen.clear();
  turn();
  turn();
  CHECK(r.seen.empty());
}

TEST_CASE_FIXTURE(Watching, "watching nothing, the watcher does not keep the loop running; watching, it does") {
  CHECK(uv_run(loop.get(), UV_RUN_DEFAULT) == 0);  // returns at once: no active, referenced handle
  Pair p;
  REQUIRE(watcher.watch(p.fd[0], UV_READABLE, &Recorder::ready, &r) == 0);
  CHECK(uv_loop_alive(loop.get()) != 0);
  watcher.forget(p.fd[0]);
  CHECK(uv_loop_alive(loop.get()) == 0);
}

TEST_CASE_FIXTURE(Watching, "an fd forgotten by an earlier callback of the same batch is not reported") {
  Pair a;
  Pair b;
  r.watcher = &watcher;
  // Both are writable, so both come in one batch; whichever is first forgets the other.
  struct Both {
    Recorder* r;
    int a, b;
  } both{&r, a.fd[0], b.fd[0]};
  auto forget_other = [](void* self, int fd, int events, bool failed) {
    auto* x = static_cast<Both*>(self);
    x->r->seen.push_back({fd, events, failed});
    x->r->watcher->forget(fd == x->a ? x->b : x->a);
  };
  REQUIRE(watcher.watch(a.fd[0], UV_WRITABLE, forget_other, &both) == 0);
  REQUIRE(watcher.watch(b.fd[0], UV_WRITABLE, forget_other, &both) == 0);
  turn();
  CHECK(r.seen.size() == 1);
  CHECK(watcher.watched() == 1);
}

TEST_CASE_FIXTURE(Watching, "an fd closed without forget() and its number reused is watched afresh") {
  Pair first;
  int number = first.fd[0];
  REQUIRE(watcher.watch(number, UV_READABLE, &Recorder::ready, &r) == 0);
  first.close_both();  // the kernel takes it out of the set; the watcher still counts it
  Pair second;         // the lowest free numbers: the same ones again
  REQUIRE(second.fd[0] == number);
  REQUIRE(watcher.watch(number, UV_READABLE, &Recorder::ready, &r) == 0);  // MOD fails, ADD is done
  REQUIRE(::write(second.fd[1], "y", 1) == 1);
  turn();
  REQUIRE(r.seen.size() == 1);
  CHECK(r.seen[0].events == UV_READABLE);
  watcher.forget_owner(&r);
  CHECK(watcher.watched() == 0);
}

TEST_CASE_FIXTURE(Watching, "an fd forgotten as closed is not reported, and its number is watched afresh") {
  Pair first;
  int number = first.fd[0];
  REQUIRE(watcher.watch(number, UV_READABLE, &Recorder::ready, &r) == 0);
  REQUIRE(::write(first.fd[1], "x", 1) == 1);  // ready when it goes
  first.close_both();
  watcher.forget_closed(number);
  CHECK(watcher.watched() == 0);
  turn();
  CHECK(r.seen.empty());
  Pair second;
  REQUIRE(second.fd[0] == number);
  REQUIRE(watcher.watch(number, UV_READABLE, &Recorder::ready, &r) == 0);
  REQUIRE(::write(second.fd[1], "y", 1) == 1);
  turn();
  REQUIRE(r.seen.size() == 1);
  CHECK(r.seen[0].fd == number);
  watcher.forget(number);
  CHECK(watcher.watched() == 0);
}

TEST_CASE_FIXTURE(Watching, "a hang-up reports every watched direction; a socket error is reported once, as failed") {
  {
    Pair p;
    REQUIRE(watcher.watch(p.fd[0], UV_READABLE, &Recorder::ready, &r) == 0);
    ::close(p.fd[1]);
    p.fd[1] = -1;
    turn();
    REQUIRE_FALSE(r.seen.empty());
    CHECK(r.seen[0].events == UV_READABLE);
    CHECK_FALSE(r.seen[0].failed);
    watcher.forget(p.fd[0]);
  }
  // A datagram to a loopback port nobody listens on: the ICMP "port unreachable" that comes back
  // is the socket's error (ECONNREFUSED), EPOLLERR.
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  int closed = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);  // a port bound, then freed
  sockaddr_in gone = address;
  gone.sin_port = 0;
  REQUIRE(::bind(closed, reinterpret_cast<sockaddr*>(&gone), sizeof gone) == 0);
  length = sizeof gone;
  REQUIRE(::getsockname(closed, reinterpret_cast<sockaddr*>(&gone), &length) == 0);
  ::close(closed);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&gone), sizeof gone) == 0);
  REQUIRE(::send(fd, "z", 1, 0) == 1);
  r.seen.clear();
  REQUIRE(watcher.watch(fd, UV_READABLE, &Recorder::ready, &r) == 0);
  for (int i = 0; i < 50 && r.seen.empty(); ++i) uv_run(loop.get(), UV_RUN_ONCE);
  REQUIRE(r.seen.size() == 1);
  CHECK(r.seen[0].failed);
  turn();
  turn();
  CHECK(r.seen.size() == 1);  // not again: no longer watched until watch() is called again
  CHECK(watcher.watched() == 1);
  watcher.forget(fd);
  CHECK(watcher.watched() == 0);
  ::close(fd);
}

TEST_CASE_FIXTURE(Watching, "more ready sockets than one epoll batch are all reported in one turn") {
  // A held-up agent has thousands of answers waiting: reading only one batch of them a turn,
  // while the same turns start new checks, let the unread ones pile up.
  constexpr int kPairs = 700;
  std::vector<std::unique_ptr<Pair>> pairs;
  for (int i = 0; i < kPairs; ++i) {
    pairs.push_back(std::make_unique<Pair>());
    REQUIRE(::write(pairs.back()->fd[1], "x", 1) == 1);
    // As the checks' owners do: read what made the socket ready.
    auto read_it = [](void* self, int fd, int events, bool failed) {
      char byte = 0;
      if (::read(fd, &byte, 1) == 1) Recorder::ready(self, fd, events, failed);
    };
    REQUIRE(watcher.watch(pairs.back()->fd[0], UV_READABLE, read_it, &r) == 0);
  }
  turn();
  CHECK(r.seen.size() == kPairs);
  for (auto& p : pairs) watcher.forget(p->fd[0]);
}
