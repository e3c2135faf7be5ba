#pragma once
// The one libuv loop of the process. Destruction runs the loop until every handle has closed and
// requires uv_loop_close() to succeed: a leaked handle is a bug we want to see, not hide.
#include <uv.h>

#include <string>

namespace prober::io {

class Loop {
 public:
  Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop();

  uv_loop_t* get() noexcept { return &loop_; }
  void run() { uv_run(&loop_, UV_RUN_DEFAULT); }
  // Runs until every handle is closed; returns uv_loop_close()'s result (0 on a clean shutdown).
  int close() noexcept;
  // The handles still open, by type ("poll (active) x2, timer x1"): what a failed close() left.
  std::string open_handles();

 private:
  uv_loop_t loop_{};
  bool closed_ = false;
};

}  // namespace prober::io
