#pragma once
// unique_ptr ownership for libcurl's C handles (io/c_handle.h).
#include <curl/curl.h>

#include <memory>

#include "io/c_handle.h"

namespace prober::io {

using CurlEasyPtr = CHandle<CURL, curl_easy_cleanup>;
using CurlSlistPtr = CHandle<curl_slist, curl_slist_free_all>;
using CurlUrlPtr = CHandle<CURLU, curl_url_cleanup>;
using CurlSharePtr = CHandle<CURLSH, curl_share_cleanup>;
using CurlStringPtr = CHandle<char, curl_free>;  // strings curl allocated

// Appends to a list held by a CurlSlistPtr; false when curl ran out of memory.
inline bool append(CurlSlistPtr& list, const char* line) {
  curl_slist* grown = curl_slist_append(list.get(), line);
  if (!grown) return false;
  list.release();
  list.reset(grown);
  return true;
}

}  // namespace prober::io
