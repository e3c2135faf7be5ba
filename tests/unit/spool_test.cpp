// The spool against a real SQLite file in a temporary directory, on a real loop.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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
  auto opened = Spool::open(loop.get(), dir.string(), max);
  if (auto* e = std::get_if<std::string>(&opened)) FAIL(*e);
  return std::move(std::get<std::unique_ptr<Spool>>(opened));
}

std::vector<SpoolRecord> fetch(prober::io::Loop& loop, Spool& s, const std::string& queue, std::int64_t after = 0,
                               std::size_t max = 100) {
  std::vector<SpoolRecord> out;
  bool done = false;
  s.fetch(queue, after, max, [&](std::vector<SpoolRecord> r) {
    out = std::move(r);
    done = true;
  });
  while (!done) uv_run(loop.get(), UV_RUN_ONCE);
  return out;
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
  CHECK(left[0].payload == std::string(30, 'a'));  // the leased one survived
  CHECK(left.back().payload == std::string(30, 'b' + 9));  // the newest survived
}

TEST_CASE("a damaged spool file or an unwritable directory is a clear error at open, never a crash") {
  TempDir dir;
  prober::io::Loop loop;
  {
    std::ofstream f(dir.path / "spool.db");
    f << std::string(8192, 'z');
  }
  auto opened = Spool::open(loop.get(), dir.path.string(), 1 << 20);
  REQUIRE(std::holds_alternative<std::string>(opened));
  CHECK(std::get<std::string>(opened).find("move it away") != std::string::npos);

  auto file_as_dir = Spool::open(loop.get(), (dir.path / "spool.db" / "sub").string(), 1 << 20);
  REQUIRE(std::holds_alternative<std::string>(file_as_dir));
  CHECK(std::get<std::string>(file_as_dir).find("cannot create") != std::string::npos);
  if (geteuid() != 0) {  // root may write anywhere
    fs::create_directory(dir.path / "ro");
    chmod((dir.path / "ro").c_str(), 0500);
    auto ro = Spool::open(loop.get(), (dir.path / "ro").string(), 1 << 20);
    REQUIRE(std::holds_alternative<std::string>(ro));
    CHECK(std::get<std::string>(ro).find("not writable") != std::string::npos);
  }
}
