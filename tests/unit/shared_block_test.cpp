// Monitors' shared setting blocks: equal blocks become one at load, a copy edited stays apart,
// and a check's compiled expectations are shared by the monitors that share their block.
#include <doctest/doctest.h>

#include "checks/compiled_expects.h"
#include "checks/http_probes.h"
#include "config/config_parser.h"
#include "config/monitor_config.h"

using prober::checks::CompiledExpects;
using prober::config::HttpExpect;
using prober::config::MonitorConfig;
using prober::config::SharedBlock;

TEST_CASE("an edited copy of a shared block leaves the others as they were") {
  MonitorConfig a;
  CHECK(a.tls->ca_file == std::nullopt);  // unset: the defaults
  a.tls.edit().ca_file = "/etc/ca.pem";
  MonitorConfig b = a;  // shares a's block
  CHECK(&*b.tls == &*a.tls);
  b.tls.edit().server_name = "api.example";
  CHECK(&*b.tls != &*a.tls);
  CHECK(a.tls->server_name == std::nullopt);
  CHECK(b.tls->ca_file == "/etc/ca.pem");
  CHECK(b.tls->server_name == "api.example");
  CHECK_FALSE(a.tls == b.tls);
}

TEST_CASE("interning makes equal blocks one and a block equal to the defaults none") {
  SharedBlock<HttpExpect>::Pool pool;
  SharedBlock<HttpExpect> x, y, z, d;
  x.edit().body_contains = "ok";
  y.edit().body_contains = "ok";
  z.edit().body_contains = "other";
  d.edit();  // edited, still the defaults
  for (auto* block : {&x, &y, &z, &d}) block->intern(pool);
  CHECK(&*x == &*y);
  CHECK(&*x != &*z);
  CHECK(pool.size() == 2);
  SharedBlock<HttpExpect> untouched;
  CHECK(&*d == &*untouched);  // the static defaults
  CHECK(x.shared().get() == &*x);
  CHECK(untouched.shared().get() == &*untouched);
}

TEST_CASE("a configuration's monitors with equal blocks share them") {
  auto parsed = prober::config::parse_config(R"({"monitors": [
    {"name": "a", "type": "http", "url": "https://a.example/", "tls": {"ca_file": "/ca.pem"},
     "expect": {"body_contains": "ok"}, "headers": {"X-A": "1"}},
    {"name": "b", "type": "http", "url": "https://b.example/", "tls": {"ca_file": "/ca.pem"},
     "expect": {"body_contains": "ok"}, "headers": {"X-A": "1"}},
    {"name": "c", "type": "http", "url": "https://c.example/", "tls": {"ca_file": "/other.pem"},
     "expect": {}},
    {"name": "d", "type": "http", "url": "https://d.example/"}]})");
  REQUIRE(std::holds_alternative<prober::config::Config>(parsed));
  const auto& m = std::get<prober::config::Config>(parsed).monitors;
  CHECK(&*m[0]->tls == &*m[1]->tls);
  CHECK(&*m[0]->expect == &*m[1]->expect);
  CHECK(&*m[0]->request == &*m[1]->request);
  CHECK(m[1]->request->headers.size() == 1);
  CHECK(&*m[2]->tls != &*m[0]->tls);
  CHECK(m[2]->tls->ca_file == "/other.pem");
  CHECK(&*m[2]->expect == &*m[3]->expect);  // both the defaults
  CHECK(&*m[2]->request == &*m[3]->request);
  CHECK(m[3]->expect->body_contains == std::nullopt);
}

TEST_CASE("compiled expectations are shared per block and keep it alive") {
  CompiledExpects cache;
  SharedBlock<HttpExpect> a, b;
  a.edit().body_regex = "o+k";
  b = a;
  auto x = cache.get(a.shared());
  auto y = cache.get(b.shared());
  REQUIRE(std::holds_alternative<CompiledExpects::Compiled>(x));
  REQUIRE(std::holds_alternative<CompiledExpects::Compiled>(y));
  auto cx = std::get<CompiledExpects::Compiled>(x);
  CHECK(cx == std::get<CompiledExpects::Compiled>(y));
  a = SharedBlock<HttpExpect>();  // the monitors let go of the block: the compiled copy keeps it
  b = SharedBlock<HttpExpect>();
  CHECK(cx->expect().config->body_regex == "o+k");
  CHECK(cx->expect().body_regex);

  SharedBlock<HttpExpect> bad;
  bad.edit().body_regex = "(";
  auto error = cache.get(bad.shared());
  REQUIRE(std::holds_alternative<std::string>(error));
  CHECK(std::get<std::string>(error).find("body_regex") == 0);
  CHECK(cache.size() == 1);  // no entry left for the block that did not compile
}

TEST_CASE("a block lives while any monitor or derived holder has it, and an edit never reaches another holder") {
  SharedBlock<HttpExpect> a;
  a.edit().body_contains = "ok";
  std::shared_ptr<const HttpExpect> derived = a.shared();
  {
    SharedBlock<HttpExpect> b = a;
    SharedBlock<HttpExpect> c = std::move(b);
    CHECK(&*c == &*a);
    CHECK(&*b == &*SharedBlock<HttpExpect>());  // moved from: the defaults
    c.edit().body_contains = "changed";         // held by a and derived too: c copies first
    CHECK(a->body_contains == "ok");
    CHECK(c->body_contains == "changed");
  }
  a = SharedBlock<HttpExpect>();
  CHECK(derived->body_contains == "ok");  // still alive through the derived pointer
  SharedBlock<HttpExpect> alone;
  HttpExpect& own = alone.edit();
  CHECK(&alone.edit() == &own);  // its only holder edits in place
  CHECK(sizeof(SharedBlock<HttpExpect>) == sizeof(void*));
}
