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

// Status line, headers, and the body unless the request was HEAD.
std::string serialize(const HttpResponse& response, bool keep_alive, bool head_only);

}  // namespace prober::net
