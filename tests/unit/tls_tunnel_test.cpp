// The TLS tunnel's local socket: curl's connection is the only one taken, and a name another
// process holds is skipped. (The relay itself is tested against real servers: test_failure_classes.)
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <string>

#include "checks/tls_tunnel.h"
#include "io/socket_address.h"
#include "io/socket_watcher.h"

using namespace prober;

namespace {

int connect_to(const std::string& name) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  io::SocketAddress address = io::abstract_socket_address(name);
  REQUIRE(::connect(fd, address.get(), address.length) == 0);
  return fd;
}

int bind_name(const std::string& name) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  io::SocketAddress address = io::abstract_socket_address(name);
  REQUIRE(::bind(fd, address.get(), address.length) == 0);
  return fd;
}

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_NOWAIT);  // closes what the tunnels handed to uv_close
    uv_loop_close(&loop);
  }
};

}  // namespace

TEST_CASE("the tunnel's local socket takes a connection from this process only") {
  Loop loop;
  io::SocketWatcher sockets(&loop.loop);
  checks::TlsContexts contexts;
  config::TlsOptions tls;
  checks::TlsCapture capture;
  {
    checks::TlsTunnel tunnel(&loop.loop, sockets, contexts, tls, capture);
    std::string name = tunnel.listen();
    REQUIRE_FALSE(name.empty());
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Another process connects first; the tunnel must close that connection unread.
      int fd = connect_to(name);
      (void)::write(ready[1], "x", 1);
      timeval wait{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
      char byte;
      ssize_t got = ::recv(fd, &byte, 1, 0);
      _exit(got == 0 ? 0 : 1);  // 0: closed by the tunnel; else a timeout or data
    }
    char byte;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    int ours = connect_to(name);
    tunnel.curl_connected();  // as curl's pre-request callback does
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // Ours was taken and is still open: no end of file for it.
    timeval none{0, 100000};
    setsockopt(ours, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    errno = 0;
    CHECK(::recv(ours, &byte, 1, 0) == -1);
    CHECK((errno == EAGAIN || errno == EWOULDBLOCK));
    ::close(ours);
    ::close(ready[0]);
    ::close(ready[1]);
  }
}

TEST_CASE("a local socket name another process holds is skipped") {
  Loop loop;
  io::SocketWatcher sockets(&loop.loop);
  checks::TlsContexts contexts;
  config::TlsOptions tls;
  checks::TlsCapture capture;
  std::string first;
  {
    checks::TlsTunnel tunnel(&loop.loop, sockets, contexts, tls, capture);
    first = tunnel.listen();
  }
  // "prober-tls-<pid>-<n>": squat the next two names.
  auto dash = first.rfind('-');
  std::string prefix = first.substr(0, dash + 1);
  long n = std::stol(first.substr(dash + 1));
  int squat1 = bind_name(prefix + std::to_string(n + 1));
  int squat2 = bind_name(prefix + std::to_string(n + 2));
  {
    checks::TlsTunnel tunnel(&loop.loop, sockets, contexts, tls, capture);
    CHECK(tunnel.listen() == prefix + std::to_string(n + 3));
    CHECK(tunnel.state().code == CURLE_OK);
  }
  int squat3 = bind_name(prefix + std::to_string(n + 4));
  int squat4 = bind_name(prefix + std::to_string(n + 5));
  int squat5 = bind_name(prefix + std::to_string(n + 6));
  int squat6 = bind_name(prefix + std::to_string(n + 7));
  {
    checks::TlsTunnel tunnel(&loop.loop, sockets, contexts, tls, capture);
    CHECK(tunnel.listen().empty());  // four names taken: the check fails (internal_error), no hang
    CHECK(tunnel.state().code == CURLE_FAILED_INIT);
  }
  for (int fd : {squat1, squat2, squat3, squat4, squat5, squat6}) ::close(fd);
}
