// The loop's close: it waits for a handle whose work is in libuv's thread pool.
#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <thread>
#include <vector>

#include "io/loop.h"
#include "io/uv_handle.h"

TEST_CASE("close() waits for a file watcher closed while its stat is still in the thread pool") {
  // The agent stopped as it started: its configuration watcher's first stat had not come back, and
  // the loop was closed with the watcher still closing ("handles still open"). The pool's threads
  // are kept busy here so that the stat is certainly still queued when the watcher is closed.
  prober::io::Loop loop;
  std::vector<uv_work_t> busy(16);  // more than the pool has threads (4 by default)
  for (auto& w : busy) {
    uv_queue_work(
        loop.get(), &w, [](uv_work_t*) { std::this_thread::sleep_for(std::chrono::milliseconds(30)); },
        [](uv_work_t*, int) {});
  }
  prober::io::UvHandle<uv_fs_poll_t> watch;
  REQUIRE(uv_fs_poll_init(loop.get(), watch.get()) == 0);
  REQUIRE(uv_fs_poll_start(
              watch.get(), [](uv_fs_poll_t*, int, const uv_stat_t*, const uv_stat_t*) {}, "/", 1000) == 0);
  watch.close();
  int closed = loop.close();
  CHECK(closed == 0);
  if (closed != 0) uv_run(loop.get(), UV_RUN_DEFAULT);  // the work done before `busy` goes: fail, not crash
}
