#include "prober/remote_config.h"

#include <curl/curl.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checks/check_result_json.h"
#include "checks/url.h"
#include "io/curl_handles.h"

namespace prober::cli {

bool is_config_url(const std::string& path) { return path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0; }

std::optional<RemoteConfig::Fetched> RemoteConfig::cached() const {
  std::ifstream in(options_.cache_path);
  if (!in) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(in);
    if (j.at("url").get<std::string>() != options_.url) return std::nullopt;
    return Fetched{j.at("text").get<std::string>(), j.value("etag", ""),
                   "cache " + options_.cache_path + " of " + j.value("saved_at", std::string("?"))};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::variant<RemoteConfig::Fetched, std::string> RemoteConfig::fetch_now() {
  io::CurlEasyPtr easy(curl_easy_init());
  std::string body, etag;
  char error[CURL_ERROR_SIZE] = {};
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "prober/" PROBER_VERSION_STRING);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!options_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(
      e, CURLOPT_WRITEFUNCTION, +[](char* d, std::size_t s, std::size_t n, void* out) {
        auto* b = static_cast<std::string*>(out);
        if (b->size() > (16u << 20)) return std::size_t{0};  // a configuration is not this big
        b->append(d, s * n);
        return s * n;
      });
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &etag);
  curl_easy_setopt(
      e, CURLOPT_HEADERFUNCTION, +[](char* d, std::size_t s, std::size_t n, void* out) {
        if (auto tag = net::header_value(std::string_view(d, s * n), "etag")) *static_cast<std::string*>(out) = *tag;
        return s * n;
      });
  CURLcode code = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  if (code == CURLE_OK && status >= 200 && status < 300) {
    etag_ = etag;
    return Fetched{body, etag, options_.url};
  }
  std::string why = code != CURLE_OK ? (error[0] ? error : curl_easy_strerror(code)) : "HTTP " + std::to_string(status);
  if (auto cache = cached()) {
    etag_ = cache->etag;
    cache->origin += " (" + checks::redacted_url(options_.url) + ": " + why + ")";
    return *cache;
  }
  return checks::redacted_url(options_.url) + ": " + why + "; and no cached configuration of this URL at " +
         options_.cache_path;
}

void RemoteConfig::poll(net::HttpClient& http, std::function<void(Fetched)> changed,
                        std::function<void(std::string)> failed) {
  net::HttpRequestSpec spec;
  spec.method = "GET";
  spec.url = options_.url;
  spec.timeout = options_.timeout;
  spec.ca_file = options_.ca_file;
  spec.max_body = 16u << 20;
  if (!etag_.empty()) spec.headers.push_back("If-None-Match: " + etag_);
  http.send(std::move(spec), [this, changed = std::move(changed), failed = std::move(failed)](const net::HttpReply& r) {
    if (r.status == 304) return;
    if (!r.ok()) {
      failed(checks::redacted_url(options_.url) + ": " + (r.status ? "HTTP " + std::to_string(r.status) : r.error));
      return;
    }
    if (!r.etag.empty() && r.etag == etag_) return;  // a server that ignores If-None-Match
    etag_ = r.etag;
    changed(Fetched{r.body, r.etag, options_.url});
  });
}

bool RemoteConfig::save_good(const Fetched& fetched, std::string& error) {
  char when[32];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  nlohmann::json j = {{"url", options_.url}, {"etag", fetched.etag}, {"saved_at", when}, {"text", fetched.text}};
  std::string tmp = options_.cache_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out || !(out << checks::json_text(j))) {
      error = "cannot write " + tmp;
      return false;
    }
  }
  if (std::rename(tmp.c_str(), options_.cache_path.c_str()) != 0) {  // atomic: never half a cache
    error = "cannot replace " + options_.cache_path;
    return false;
  }
  return true;
}

}  // namespace prober::cli
