#include "io/loop.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <thread>

namespace prober::io {

Loop::Loop() {
  if (int rc = uv_loop_init(&loop_); rc != 0) throw std::runtime_error(uv_strerror(rc));
}

int Loop::close() noexcept {
  if (closed_) return 0;
  // Close callbacks may close further handles, and a handle whose work is in the thread pool (the
  // configuration watcher's stat, when the agent stops as it starts) closes only once that work is
  // back: keep running until nothing is left, for at most five seconds (a handle never closed is
  // then reported, not waited for).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int i = 0; uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) {
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (i >= 100) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int rc = uv_loop_close(&loop_);
  if (rc == 0) closed_ = true;
  return rc;
}

std::string Loop::open_handles() {
  std::map<std::string, int> counts;
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void* arg) {
        std::string name = uv_handle_type_name(uv_handle_get_type(handle));
        if (uv_is_active(handle)) name += " (active)";
        if (uv_is_closing(handle)) name += " (closing)";
        ++(*static_cast<std::map<std::string, int>*>(arg))[name];
      },
      &counts);
  std::string out;
  for (const auto& [name, n] : counts) out += (out.empty() ? "" : ", ") + name + " x" + std::to_string(n);
  return out;
}

Loop::~Loop() {
  if (int rc = close(); rc != 0) {
    std::fprintf(stderr, "prober: event loop closed with handles still open: %s: %s\n", uv_strerror(rc),
                 open_handles().c_str());
  }
}

}  // namespace prober::io
