#include "report/http_client.h"

#include <cstdlib>
#include <cstring>

#include "io/curl_handles.h"

namespace prober::report {

namespace {

constexpr std::size_t kMaxBody = 64 << 10;

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<HttpReply*>(user);
  std::size_t len = size * n;
  if (r->body.size() < kMaxBody) r->body.append(data, std::min(len, kMaxBody - r->body.size()));
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<HttpReply*>(user);
  std::size_t len = size * n;
  constexpr const char kName[] = "retry-after:";
  if (len > sizeof kName && strncasecmp(data, kName, sizeof kName - 1) == 0) {
    std::string value(data + sizeof kName - 1, len - (sizeof kName - 1));
    char* end = nullptr;
    long seconds = std::strtol(value.c_str(), &end, 10);
    if (end != value.c_str() && seconds >= 0) r->retry_after = std::chrono::seconds(std::min(seconds, 3600L));
  }
  return len;
}

}  // namespace

HttpClient::~HttpClient() {
  for (auto& [id, r] : requests_) curl_.remove(r->easy.get());
}

void HttpClient::send(HttpRequestSpec spec, Done done) {
  auto r = std::make_unique<Request>();
  r->spec = std::move(spec);
  r->easy.reset(curl_easy_init());
  CURL* e = r->easy.get();
  if (!e) {
    done(HttpReply{0, "out of memory", {}, {}});
    return;
  }
  for (const auto& h : r->spec.headers) io::append(r->headers, h.c_str());
  io::append(r->headers, "Expect:");  // no 100-continue round trip for large bodies
  curl_easy_setopt(e, CURLOPT_URL, r->spec.url.c_str());
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->spec.method.c_str());
  if (r->spec.method != "GET") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->spec.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r->spec.body.size()));
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers.get());
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r->spec.timeout.count()));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "prober/" PROBER_VERSION_STRING);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->response);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &r->response);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  std::uint64_t id = next_++;
  Request* raw = r.get();
  requests_[id] = std::move(r);
  CURLMcode added = curl_.add(e, [this, id, raw, done = std::move(done)](CURLcode code) {
    HttpReply response = std::move(raw->response);
    if (code == CURLE_OK) {
      curl_easy_getinfo(raw->easy.get(), CURLINFO_RESPONSE_CODE, &response.status);
    } else {
      response.status = 0;
      response.error = raw->error[0] ? raw->error : curl_easy_strerror(code);
    }
    auto keep = std::move(requests_.at(id));  // freed after the callback
    requests_.erase(id);
    done(std::move(response));
  });
  if (added != CURLM_OK) {
    requests_.erase(id);
    done(HttpReply{0, curl_multi_strerror(added), {}, {}});
  }
}

Verdict judge(const HttpReply& r) {
  using A = Verdict::Action;
  if (r.ok()) return {A::kDelivered, ""};
  if (r.status == 0) return {A::kRetry, "network"};
  if (r.status == 429) return {A::kRetry, "http_429"};
  if (r.status >= 500) return {A::kRetry, "http_5xx"};
  return {A::kDrop, "rejected"};
}

}  // namespace prober::report
