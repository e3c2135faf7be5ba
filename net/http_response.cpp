#include "net/http_response.h"

namespace prober::net {
namespace {

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::size_t body_size(const HttpResponse& response) {
  std::size_t size = response.body.size();
  for (const auto& piece : response.body_pieces) size += piece.size();
  return size;
}

}  // namespace

std::string serialize_head(const HttpResponse& response, bool keep_alive) {
  std::string bytes = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) +
                      "\r\nContent-Type: " + response.content_type +
                      "\r\nContent-Length: " + std::to_string(body_size(response));
  for (const auto& [name, value] : response.headers) bytes += "\r\n" + name + ": " + value;
  bytes += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  return bytes;
}

}  // namespace prober::net
