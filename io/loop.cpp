#include "io/loop.h"

#include <cstdio>
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

Loop::~Loop() {
  if (int rc = close(); rc != 0) {
    std::fprintf(stderr, "prober: event loop closed with handles still open: %s\n", uv_strerror(rc));
  }
}

}  // namespace prober::io
