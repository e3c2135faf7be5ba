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

namespace prober::net {

struct HttpRequestSpec {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::milliseconds timeout{10000};
  std::string ca_file;              // empty: the system's CA certificates
  std::size_t max_body = 64 << 10;  // the rest of a longer answer is dropped
};

// The value of a header line "Name: value\r\n" when its name is `lower_name` (lower case),
// trimmed; nullopt for other headers.
std::optional<std::string> header_value(std::string_view line, std::string_view lower_name);

struct HttpReply {
  long status = 0;                                       // 0 when no response arrived
  std::string error;                                     // curl's message when no response arrived
  std::string body;                                      // up to the request's max_body
  std::optional<std::chrono::milliseconds> retry_after;  // from a Retry-After: <seconds> header
  std::string etag;
  bool ok() const { return status >= 200 && status < 300; }
};

class HttpClient {
 public:
  struct Request {
    io::CurlEasyPtr easy;
    io::CurlSlistPtr headers;
    HttpRequestSpec spec;
    HttpReply response;
    char error[CURL_ERROR_SIZE] = {};
  };

  using Done = std::function<void(HttpReply)>;
  explicit HttpClient(io::CurlMultiDriver& curl) : curl_(curl) {}
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();  // aborts what is in flight; their callbacks never run

  void send(HttpRequestSpec request, Done done);

 private:
  io::CurlMultiDriver& curl_;
  std::map<std::uint64_t, std::unique_ptr<Request>> requests_;
  std::uint64_t next_ = 1;
};

// What a sink does with a response, following Prometheus' remote write rules: 2xx delivered,
// 5xx / 429 / no response retried, any other status dropped (never retried).
struct Verdict {
  enum class Action { kDelivered, kRetry, kDrop } action;
  std::string
      reason;  // for prober_sink_errors_total{reason}: "http_5xx", "http_429", "rejected" (other 4xx), "network"
};
Verdict judge(const HttpReply& response);

}  // namespace prober::net
