#pragma once
// unique_ptr ownership for any C library's handle, by its free function:
//   using BioPtr = io::CHandle<BIO, BIO_free>;
// One template instead of a deleter struct per handle type.
#include <memory>

namespace prober::io {

template <auto Free>
struct CFree {
  template <typename T>
  void operator()(T* handle) const noexcept {
    Free(handle);
  }
};

template <typename T, auto Free>
using CHandle = std::unique_ptr<T, CFree<Free>>;

}  // namespace prober::io
