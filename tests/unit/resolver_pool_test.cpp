// The resolver pool keeps the most recently used resolvers only, and one it lets go of lives on
// while a check holds it.
#include <doctest/doctest.h>
#include <uv.h>

#include <memory>
#include <string>
#include <variant>

#include "io/ares_resolver.h"
#include "io/loop.h"

namespace {

using prober::io::AresResolver;
using prober::io::ResolverOptions;
using prober::io::ResolverPool;

std::shared_ptr<AresResolver> get(ResolverPool& pool, const std::string& server) {
  ResolverOptions options;
  options.servers = {server};
  auto got = pool.get(options);
  REQUIRE(std::holds_alternative<std::shared_ptr<AresResolver>>(got));
  return std::get<std::shared_ptr<AresResolver>>(got);
}

}  // namespace

TEST_CASE("the pool keeps the resolvers used last, and a resolver it let go of lives while it is held") {
  prober::io::Loop loop;
  {
    ResolverPool pool(loop.get(), 2);
    auto a = get(pool, "127.0.0.1:1053");
    CHECK(get(pool, "127.0.0.1:1053") == a);  // kept: the same one again
    get(pool, "127.0.0.1:2053");
    get(pool, "127.0.0.1:1053");  // a is now the most recently used: 2053 goes next
    get(pool, "127.0.0.1:3053");
    CHECK(pool.kept() == 2);
    CHECK(pool.retired() == 1);
    CHECK(get(pool, "127.0.0.1:1053") == a);  // still kept
    auto b = get(pool, "127.0.0.1:2053");     // made again; 3053 let go of
    CHECK(pool.kept() == 2);
    get(pool, "127.0.0.1:4053");  // a let go of, while this test holds it
    CHECK(pool.kept() == 2);
    CHECK(get(pool, "127.0.0.1:1053") != a);
    CHECK(a->servers() == "127.0.0.1:1053");  // usable: nothing was destroyed under the holder

    // The timer destroys what nobody holds, a second later, and keeps what is held.
    std::size_t held = pool.retired();
    REQUIRE(held >= 2);
    uv_run(loop.get(), UV_RUN_ONCE);  // the reaper's first tick
    CHECK(pool.retired() >= 1);       // a (and b, if it was let go of) are still held
    a.reset();
    b.reset();
    uv_run(loop.get(), UV_RUN_DEFAULT);  // returns once the reaper stopped: nothing left to destroy
    CHECK(pool.retired() == 0);
  }
  CHECK(loop.close() == 0);
}
