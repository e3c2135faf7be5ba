#include "prober/healthcheck_command.h"

#include <curl/curl.h>

#include <cstdio>
#include <string>

#include "io/curl_handles.h"

namespace prober::cli {

namespace {

int ask(const std::string& url) {
  io::CurlEasyPtr easy(curl_easy_init());
  if (!easy) return 1;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_PROXY, "");  // the agent's own address: never through a proxy
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

}  // namespace

Command add_healthcheck_command(CLI::App& root) {
  auto url = std::make_shared<std::string>("http://127.0.0.1:9465/healthz");
  CLI::App* app =
      root.add_subcommand("healthcheck", "exit 0 if the agent's /healthz answers 200 (container HEALTHCHECK)");
  app->add_option("URL", *url, "the agent's /healthz (default http://127.0.0.1:9465/healthz)");
  app->footer(
      "Exit 0 when URL answers 200 within 5 s, else 1. With --web.config.file: an https:// URL is asked\n"
      "without verifying the agent's own certificate, and 401 (basic auth on) also counts as up: the\n"
      "agent answered.");
  return Command{app, [url] { return ask(*url); }, 2};
}

}  // namespace prober::cli
