// The spool against a real SQLite file in a temporary directory, on a real loop.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "io/loop.h"
#include "report/spool.h"

using namespace prober::report;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/prober-spool-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::unique_ptr<Spool> open(prober::io::Loop& loop, const fs::path& dir, std::uint64_t max = 1 << 20) {
  auto opened = Spool::open(loop.get(), dir.string(), {max, 64ull << 20});
  if (auto* e = std::get_if<std::string>(&opened)) FAIL(*e);
  return std::move(std::get<std::unique_ptr<Spool>>(opened));
}

std::vector<SpoolRecord> fetch(prober::io::Loop& loop, Spool& s, const std::string& queue, std::int64_t after = 0,
                               std::size_t max = 100, std::size_t max_bytes = 0) {
  std::vector<SpoolRecord> out;
  bool done = false;
  s.fetch(
      queue, after, max,
      [&](std::vector<SpoolRecord> r) {
        out = std::move(r);
        done = true;
      },
      max_bytes);
  while (!done) uv_run(loop.get(), UV_RUN_ONCE);
  return out;
}

// Runs the loop until `done()` or two seconds: drops reach the loop through an async handle,
// which flush() does not wait for.
template <typename Done>
bool run_until(prober::io::Loop& loop, Done done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    uv_run(loop.get(), UV_RUN_NOWAIT);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

}  // namespace

TEST_CASE("records come back per queue, oldest first, until removed; state and ids survive a reopen") {
  TempDir dir;
  prober::io::Loop loop;
  {
    auto s = open(loop, dir.path);
    s->append("webhook", "a", 1000, 1);
    s->append("remote_write", "x", 1000);
    s->append("webhook", "b", 2000, 2);
    s->put_state("seq", "2");
    auto got = fetch(loop, *s, "webhook");
    REQUIRE(got.size() == 2);
    CHECK(got[0].payload == "a");
    CHECK(got[0].key == 1);
    CHECK(got[1].payload == "b");
    CHECK(got[1].created_ms == 2000);
    CHECK(fetch(loop, *s, "webhook", got[0].id).size() == 1);  // after a cursor
    s->remove({got[0].id});
    s->flush();
    CHECK(s->bytes() == 2);
  }
  auto s = open(loop, dir.path);
  CHECK(s->state("seq") == "2");
  auto got = fetch(loop, *s, "webhook");
  REQUIRE(got.size() == 1);
  CHECK(got[0].payload == "b");
  std::int64_t next = s->append("webhook", "c", 3000);
  CHECK(next > got[0].id);  // ids keep growing across restarts
}

TEST_CASE("a fetch with a byte limit returns the records that fit, at least one, and the rest next") {
  TempDir dir;
  prober::io::Loop loop;
  auto s = open(loop, dir.path);
  for (char c : std::string("abcdefgh")) s->append("remote_write", std::string(100, c), 1000);
  s->append("remote_write", std::string(1000, 'i'), 1000);
  s->append("remote_write", std::string(10, 'j'), 1000);
  std::string seen;
  std::vector<std::size_t> sizes;
  for (std::int64_t after = 0;;) {
    auto got = fetch(loop, *s, "remote_write", after, 100, 250);
    if (got.empty()) break;
    for (const auto& r : got) seen += r.payload.front();
    sizes.push_back(got.size());
    after = got.back().id;
  }
  CHECK(seen == "abcdefghij");                                 // every record once, in order
  CHECK(sizes == std::vector<std::size_t>{2, 2, 2, 2, 1, 1});  // 1000 bytes: alone, but not left behind
  CHECK(fetch(loop, *s, "remote_write", 0, 3).size() == 3);    // no byte limit: the count alone
  s->append("remote_write", "k", 1000);                        // a write after a fetch that stopped early
  s->flush();
  CHECK(fetch(loop, *s, "remote_write", 0, 100).size() == 11);
}

TEST_CASE("at the bound the oldest records not being sent are dropped, and counted exactly") {
  TempDir dir;
  prober::io::Loop loop;
  auto s = open(loop, dir.path, 100);
  std::map<std::string, std::uint64_t> dropped;
  s->on_dropped([&](const std::string& q, std::uint64_t n) { dropped[q] += n; });
  s->append("webhook", std::string(30, 'a'), 1);
  auto leased = fetch(loop, *s, "webhook");  // the first record is being sent: kept
  REQUIRE(leased.size() == 1);
  for (int i = 0; i < 10; ++i) s->append(i % 2 ? "webhook" : "remote_write", std::string(30, 'b' + i), 2);
  s->flush();
  uv_run(loop.get(), UV_RUN_NOWAIT);
  while (dropped.empty()) uv_run(loop.get(), UV_RUN_ONCE);
  CHECK(s->bytes() <= 100);
  CHECK(dropped["webhook"] + dropped["remote_write"] == 8);  // 11 records of 30 bytes, 3 fit
  auto left = fetch(loop, *s, "webhook");
  REQUIRE(!left.empty());
  CHECK(left[0].payload == std::string(30, 'a'));          // the leased one survived
  CHECK(left.back().payload == std::string(30, 'b' + 9));  // the newest survived
}

TEST_CASE("a damaged spool file is moved aside and an empty spool started; a reopen finds nothing amiss") {
  TempDir dir;
  prober::io::Loop loop;
  for (const std::string& garbage :
       {std::string(8192, 'z'), std::string("SQLite format 3") + '\0' + std::string(4000, '\x7f')}) {
    {
      std::ofstream f(dir.path / "spool.db", std::ios::trunc);
      f << garbage;
    }
    auto s = open(loop, dir.path);
    REQUIRE(s->moved_aside());
    CHECK(s->moved_aside()->to.find((dir.path / "spool.db.corrupt-").string()) == 0);
    CHECK(fs::exists(s->moved_aside()->to));
    CHECK(fs::file_size(s->moved_aside()->to) == garbage.size());  // kept for a post-mortem
    CHECK(!s->moved_aside()->reason.empty());
    s->append("webhook", "new", 1);
    s->flush();
    s.reset();
    auto again = open(loop, dir.path);
    CHECK(!again->moved_aside());
    CHECK(fetch(loop, *again, "webhook").size() == 1);
    again.reset();
    for (const auto& entry : fs::directory_iterator(dir.path)) {
      if (entry.path().filename().string().rfind("spool.db.corrupt-", 0) == 0) fs::remove(entry.path());
    }
    fs::remove(dir.path / "spool.db");
  }
}

TEST_CASE("the byte bound holds when hundreds of records are leased, and after a reopen") {
  TempDir dir;
  prober::io::Loop loop;
  const std::uint64_t bound = 64 << 10;
  std::uint64_t dropped = 0;
  {
    auto s = open(loop, dir.path, bound);
    s->on_dropped([&](const std::string&, std::uint64_t n) { dropped += n; });
    for (int i = 0; i < 600; ++i) s->append("webhook", std::string(100, 'a'), 1);
    // Sinks hold 600 records being sent (60 KB leased, under the bound): more than the 512 the
    // bound used to look at, which then dropped nothing at all.
    REQUIRE(fetch(loop, *s, "webhook", 0, 600).size() == 600);
    for (int i = 0; i < 2000; ++i) s->append(i % 2 ? "webhook" : "remote_write", std::string(100, 'b'), 2);
    s->flush();
    CHECK(s->bytes() <= bound);
    CHECK(run_until(loop, [&] { return dropped > 0; }));
  }
  // A restart during the outage: nothing is leased any more; new records still keep the bound.
  auto s = open(loop, dir.path, bound);
  for (int i = 0; i < 1000; ++i) s->append("webhook", std::string(100, 'c'), 3);
  s->flush();
  CHECK(s->bytes() <= bound);
}

TEST_CASE("records leased past the bound are dropped too: the bound holds whatever the sinks hold") {
  TempDir dir;
  prober::io::Loop loop;
  auto s = open(loop, dir.path, 64 << 10);
  for (int i = 0; i < 600; ++i) s->append("webhook", std::string(1000, 'a'), 1);
  s->flush();
  CHECK(s->bytes() <= (64u << 10));
}

TEST_CASE("writes waiting for the disk are bounded in memory, and every drop counted") {
  TempDir dir;
  prober::io::Loop loop;
  auto opened = Spool::open(loop.get(), dir.path.string(), {1 << 30, 64 << 10});
  REQUIRE(std::holds_alternative<std::unique_ptr<Spool>>(opened));
  auto& s = std::get<std::unique_ptr<Spool>>(opened);
  std::uint64_t dropped = 0;
  s->on_dropped([&](const std::string&, std::uint64_t n) { dropped += n; });
  s->append("webhook", std::string(100 << 10, 'x'), 1);  // larger than the memory bound by itself
  CHECK(dropped == 1);
  // A burst faster than the disk: what does not fit in memory is dropped; nothing is lost uncounted.
  for (int i = 0; i < 10000; ++i) s->append("webhook", std::string(1000, 'x'), 1);
  s->flush();
  CHECK(s->bytes() + (dropped - 1) * 1000 == 10000u * 1000);
}

TEST_CASE("an unwritable directory is a clear error at open, never a crash") {
  TempDir dir;
  prober::io::Loop loop;
  {
    std::ofstream f(dir.path / "spool.db");
    f << "x";
  }
  auto file_as_dir = Spool::open(loop.get(), (dir.path / "spool.db" / "sub").string(), {1 << 20, 64ull << 20});
  REQUIRE(std::holds_alternative<std::string>(file_as_dir));
  CHECK(std::get<std::string>(file_as_dir).find("cannot create") != std::string::npos);
  if (geteuid() != 0) {  // root may write anywhere
    fs::create_directory(dir.path / "ro");
    chmod((dir.path / "ro").c_str(), 0500);
    auto ro = Spool::open(loop.get(), (dir.path / "ro").string(), {1 << 20, 64ull << 20});
    REQUIRE(std::holds_alternative<std::string>(ro));
    CHECK(std::get<std::string>(ro).find("not writable") != std::string::npos);
  }
}
