#include "io/loop.h"

#include <cstdio>
#include <map>
#include <stdexcept>

namespace prober::io {

Loop::Loop() {
  if (int rc = uv_loop_init(&loop_); rc != 0) throw std::runtime_error(uv_strerror(rc));
}

int Loop::close() noexcept {
  if (closed_) return 0;
  // Close callbacks may close further handles; keep running until nothing is left.
  for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) {
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
