#pragma once
// Bytes a socket has received that nobody has read yet (FIONREAD); 0 when it cannot be told.
#include <sys/ioctl.h>
#include <uv.h>

#include <cstddef>

namespace prober::io {

inline std::size_t unread_bytes(const uv_handle_t* handle) noexcept {
  uv_os_fd_t fd = -1;
  int pending = 0;
  if (uv_fileno(handle, &fd) != 0 || ioctl(fd, FIONREAD, &pending) != 0) return 0;
  return pending > 0 ? static_cast<std::size_t>(pending) : 0;
}

}  // namespace prober::io
