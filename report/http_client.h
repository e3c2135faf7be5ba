#pragma once
// Requests to the central services (remote write, Alertmanager, Mackerel, webhooks) on the
// loop's curl multi handle. Not the checks' transport: no pinning, no timing capture; connections
// are reused between requests to the same service.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/curl_handles.h"
#include "io/curl_multi_driver.h"

namespace prober::report {

struct HttpRequestSpec {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::milliseconds timeout{10000};
};

struct HttpReply {
  long status = 0;            // 0 when no response arrived
  std::string error;          // curl's message when no response arrived
  std::string body;           // first 64 KiB
  std::optional<std::chrono::milliseconds> retry_after;  // from a Retry-After: <seconds> header
  bool ok() const { return status >= 200 && status < 300; }
};

class HttpClient {
  struct Request {
    io::CurlEasyPtr easy;
    io::CurlSlistPtr headers;
    HttpRequestSpec spec;
    HttpReply response;
    char error[CURL_ERROR_SIZE] = {};
  };

 public:
  using Done = std::function<void(HttpReply)>;
  explicit HttpClient(io::CurlMultiDriver& curl) : curl_(curl) {}
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();  // aborts what is in flight; their callbacks never run

  void send(HttpRequestSpec request, Done done);
  std::size_t in_flight() const { return requests_.size(); }

 private:
  io::CurlMultiDriver& curl_;
  std::map<std::uint64_t, std::unique_ptr<Request>> requests_;
  std::uint64_t next_ = 1;
};

// What a sink does with a response, following Prometheus' remote write rules: 2xx delivered,
// 5xx / 429 / no response retried, any other status dropped (never retried).
struct Verdict {
  enum class Action { kDelivered, kRetry, kDrop } action;
  std::string reason;  // for prober_sink_errors_total{reason}: "http_5xx", "http_429", "rejected" (other 4xx), "network"
};
Verdict judge(const HttpReply& response);

}  // namespace prober::report
