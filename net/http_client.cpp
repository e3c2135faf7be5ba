#include "net/http_client.h"

#include <cctype>
#include <cstdlib>
#include <cstring>

#include "io/curl_handles.h"

namespace prober::net {

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<HttpClient::Request*>(user);
  std::size_t len = size * n;
  auto& body = r->response.body;
  if (body.size() < r->spec.max_body) body.append(data, std::min(len, r->spec.max_body - body.size()));
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<HttpReply*>(user);
  std::string_view line(data, size * n);
  if (auto v = header_value(line, "retry-after")) {
    char* end = nullptr;
    long seconds = std::strtol(v->c_str(), &end, 10);
    if (end != v->c_str() && seconds >= 0) r->retry_after = std::chrono::seconds(std::min(seconds, 3600L));
  }
  if (auto v = header_value(line, "etag")) r->etag = *v;
  return line.size();
}

}  // namespace

std::optional<std::string> header_value(std::string_view line, std::string_view lower_name) {
  if (line.size() <= lower_name.size() || line[lower_name.size()] != ':') return std::nullopt;
  for (std::size_t i = 0; i < lower_name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != lower_name[i]) return std::nullopt;
  }
  std::string_view v = line.substr(lower_name.size() + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
  return std::string(v);
}

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
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &r->response);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!r->spec.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, r->spec.ca_file.c_str());
  std::uint64_t id = next_++;
  Request* raw = r.get();
  requests_[id] = std::move(r);
  // Shared between the completion and the failure below: only one of them calls it.
  auto finish = std::make_shared<Done>(std::move(done));
  CURLMcode added = curl_.add(e, [this, id, raw, finish](CURLcode code) {
    HttpReply response = std::move(raw->response);
    if (code == CURLE_OK) {
      curl_easy_getinfo(raw->easy.get(), CURLINFO_RESPONSE_CODE, &response.status);
    } else {
      response.status = 0;
      response.error = raw->error[0] ? raw->error : curl_easy_strerror(code);
    }
    auto keep = std::move(requests_.at(id));  // freed after the callback
    requests_.erase(id);
    (*finish)(std::move(response));
  });
  if (added != CURLM_OK) {
    requests_.erase(id);
    (*finish)(HttpReply{0, curl_multi_strerror(added), {}, {}});
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

}  // namespace prober::net
