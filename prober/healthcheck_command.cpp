#include "prober/healthcheck_command.h"

#include <curl/curl.h>

#include <cstdio>
#include <string>

#include "io/curl_handles.h"

namespace prober::cli {

int healthcheck_command(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : "http://127.0.0.1:9465/healthz";
  if (url == "-h" || url == "--help") {
    std::puts(
        "Usage: prober healthcheck [URL]   (default http://127.0.0.1:9465/healthz); exit 0 on 200.\n"
        "With --web.config.file: an https:// URL is asked without verifying the agent's own certificate,\n"
        "and 401 (basic auth on) also counts as up: the agent answered.");
    return 0;
  }
  io::CurlEasyPtr easy(curl_easy_init());
  if (!easy) return 1;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  // Liveness of the agent itself, on its own address: its certificate may be one no system CA signed.
  curl_easy_setopt(easy.get(), CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(easy.get(), CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(
      easy.get(), CURLOPT_WRITEFUNCTION, +[](char*, std::size_t size, std::size_t n, void*) { return size * n; });
  CURLcode code = curl_easy_perform(easy.get());
  long status = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
  if (code != CURLE_OK || (status != 200 && status != 401)) {
    std::fprintf(stderr, "prober healthcheck: %s: %s\n", url.c_str(),
                 code != CURLE_OK ? curl_easy_strerror(code) : ("HTTP " + std::to_string(status)).c_str());
    return 1;
  }
  return 0;
}

}  // namespace prober::cli
