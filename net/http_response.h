#pragma once
// What the endpoint answers, and its bytes on the wire (HTTP/1.1).
#include <string>
#include <utility>
#include <vector>

namespace prober::net {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // more header lines
};

// The status line and headers; the body goes out after them as it is (a /metrics answer of
// 100 MB is not copied once more).
std::string serialize_head(const HttpResponse& response, bool keep_alive);

}  // namespace prober::net
