#pragma once
// RAII for libuv handles. A uv handle cannot be freed until its close callback has run, so the
// wrapper hands the memory to uv_close and frees it there. Neither copyable nor movable: the
// handle's `data` points back at its owner.
#include <uv.h>

#include <memory>

namespace prober::io {

template <typename T>
class UvHandle {
 public:
  UvHandle() : handle_(std::make_unique<T>()) {}  // value-initialised: zeroed until uv_*_init
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  ~UvHandle() { close(); }

  T* get() const noexcept { return handle_.get(); }
  // Whether uv_*_init ran: libuv leaves stopping an uninitialised handle undefined.
  bool initialized() const noexcept {
    return handle_ && reinterpret_cast<const uv_handle_t*>(handle_.get())->type != UV_UNKNOWN_HANDLE;
  }
  uv_handle_t* base() const noexcept { return reinterpret_cast<uv_handle_t*>(handle_.get()); }
  // After a failed uv_*_init the handle was never registered with the loop: free it directly.
  void init_failed() noexcept { handle_.reset(); }

  void close() noexcept {
    if (!handle_) return;
    // Never initialised (still zeroed: UV_UNKNOWN_HANDLE): the loop does not know it, free it now.
    if (reinterpret_cast<uv_handle_t*>(handle_.get())->type == UV_UNKNOWN_HANDLE) {
      handle_.reset();
      return;
    }
    T* raw = handle_.release();
    uv_handle_t* h = reinterpret_cast<uv_handle_t*>(raw);
    if (uv_is_closing(h)) return;
    h->data = nullptr;
    uv_close(h, [](uv_handle_t* closed) { std::unique_ptr<T> owned(reinterpret_cast<T*>(closed)); });
  }

 private:
  std::unique_ptr<T> handle_;
};

}  // namespace prober::io
