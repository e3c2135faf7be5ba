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
  // More of the body, sent after `body` in this order: a large answer made in pieces (a /metrics
  // exposition of 300 MB) never has to be one buffer — growing one by doubling copies it, and
  // each copy stalls the loop for as long.
  std::vector<std::string> body_pieces;
};

// The status line and headers; the body goes out after them as it is (a /metrics answer of
// 100 MB is not copied once more).
std::string serialize_head(const HttpResponse& response, bool keep_alive);

}  // namespace prober::net
