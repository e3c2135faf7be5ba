// The loop closes cleanly (uv_loop_close() == 0) after completed, failed and cancelled checks:
// every uv handle the drivers opened is closed, every allocation freed (run under ASan too).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <ares.h>
#include <doctest/doctest.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "checks/make_check.h"
#include "io/loop.h"
#include "io/uv_handle.h"
#include "scheduler/one_shot_runner.h"

using namespace prober;

namespace {

// The port a bound uv TCP or UDP handle got from the kernel.
template <typename Handle, typename GetName>
int bound_port(Handle* handle, GetName get_name) {
  sockaddr_storage bound{};
  int length = sizeof bound;
  get_name(handle, reinterpret_cast<sockaddr*>(&bound), &length);
  return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

sockaddr_in loopback_any_port() {
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  return addr;
}

// A tiny HTTP server on the same loop: answers every connection with one fixed response.
class FixedHttpServer {
 public:
  explicit FixedHttpServer(uv_loop_t* loop) : loop_(loop) {
    uv_tcp_init(loop, server_.get());
    server_.get()->data = this;
    sockaddr_in addr = loopback_any_port();
    REQUIRE(uv_tcp_bind(server_.get(), reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(server_.get()), 16, &FixedHttpServer::on_connection) == 0);
    port = bound_port(server_.get(), uv_tcp_getsockname);
  }
  int port = 0;

 private:
  struct Client {
    io::UvHandle<uv_tcp_t> tcp;
    uv_write_t write{};
  };
  static void on_connection(uv_stream_t* server, int status) {
    auto* self = static_cast<FixedHttpServer*>(server->data);
    if (status < 0) return;
    auto client = std::make_unique<Client>();
    uv_tcp_init(self->loop_, client->tcp.get());
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client->tcp.get())) != 0) return;
    static const char kResponse[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
    uv_buf_t buf = uv_buf_init(const_cast<char*>(kResponse), sizeof kResponse - 1);
    client->write.data = client.get();
    uv_write(&client->write, reinterpret_cast<uv_stream_t*>(client->tcp.get()), &buf, 1,
             [](uv_write_t* w, int) { static_cast<Client*>(w->data)->tcp.close(); });
    self->clients_.push_back(std::move(client));
  }
  uv_loop_t* loop_;
  io::UvHandle<uv_tcp_t> server_;
  std::vector<std::unique_ptr<Client>> clients_;
};

// A UDP socket that receives DNS queries and never answers.
class SilentUdp {
 public:
  explicit SilentUdp(uv_loop_t* loop) {
    uv_udp_init(loop, udp_.get());
    sockaddr_in addr = loopback_any_port();
    REQUIRE(uv_udp_bind(udp_.get(), reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
    port = bound_port(udp_.get(), uv_udp_getsockname);
  }
  int port = 0;

 private:
  io::UvHandle<uv_udp_t> udp_;
};

std::vector<checks::CheckResult> run(uv_loop_t* loop, checks::CheckEnv env, const config::MonitorConfig& m) {
  auto made = checks::make_check(env, m);
  REQUIRE(std::holds_alternative<std::unique_ptr<checks::Check>>(made));
  auto check = std::move(std::get<std::unique_ptr<checks::Check>>(made));
  scheduler::OneShotRunner runner(loop);
  std::vector<checks::CheckResult> results;
  bool done = false;
  runner.run(*check, m.timeout, [&](std::vector<checks::CheckResult> r) {
    results = std::move(r);
    done = true;
  });
  while (!done) uv_run(loop, UV_RUN_ONCE);
  return results;
}

}  // namespace

TEST_CASE("checks on one loop, then a clean shutdown") {
  ares_library_init(ARES_LIB_INIT_ALL);
  io::Loop loop;
  {
    FixedHttpServer server(loop.get());
    SilentUdp silent(loop.get());
    io::CurlMultiDriver curl(loop.get());
    io::ResolverPool resolvers(loop.get());
    checks::TlsContexts tls;
    checks::CheckEnv ctx{curl, resolvers, tls};

    config::MonitorConfig ok;
    ok.name = "ok";
    ok.target = "http://127.0.0.1:" + std::to_string(server.port) + "/";
    ok.expect.edit().body_contains = "hello";
    auto results = run(loop.get(), ctx, ok);
    REQUIRE(results.size() == 1);
    CHECK(to_string(results[0].failure.failure_class) == "ok");
    CHECK(results[0].http.body_bytes == 5);

    config::MonitorConfig refused = ok;
    refused.target = "http://127.0.0.1:1/";
    results = run(loop.get(), ctx, refused);
    CHECK(to_string(results[0].failure.failure_class) == "tcp_refused");

    config::MonitorConfig silent_dns;
    silent_dns.name = "dns";
    silent_dns.type = config::CheckType::kDns;
    silent_dns.target = "shop.test";
    silent_dns.request.edit().dns_servers = {"127.0.0.1:" + std::to_string(silent.port)};
    silent_dns.timeout = std::chrono::milliseconds(300);
    results = run(loop.get(), ctx, silent_dns);
    CHECK(to_string(results[0].failure.failure_class) == "dns_timeout");
    CHECK(results[0].deadline_hit);

    config::MonitorConfig lookup_cancelled = ok;
    lookup_cancelled.target = "http://shop.test/";
    lookup_cancelled.request.edit().dns_servers = silent_dns.request.edit().dns_servers;
    lookup_cancelled.timeout = std::chrono::milliseconds(300);
    results = run(loop.get(), ctx, lookup_cancelled);
    CHECK(to_string(results[0].failure.failure_class) == "dns_timeout");
  }
  CHECK(loop.close() == 0);
  ares_library_cleanup();
}
