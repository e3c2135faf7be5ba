#pragma once
// One HTTP/1.1 request at a time from a connection's bytes, by libhttp-parser: method, path
// and query percent-decoded, header names lower-cased, at most kMaxRequestBytes. Pure: no I/O,
// so it is unit tested and fuzzed on its own.
#include <http_parser.h>

#include <cstddef>
#include <map>
#include <string>

namespace prober::net {

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;    // percent-decoded
  std::map<std::string, std::string> headers;  // names lower-cased
};

class HttpRequestParser {
 public:
  enum class State { kNeedMore, kComplete, kBad, kTooLarge };
  static constexpr std::size_t kMaxRequestBytes = 8192;

  HttpRequestParser() { reset(); }
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Feeds the connection's next bytes. kComplete once a whole request arrived (bytes after it
  // make pipelined() true and are not parsed); kBad or kTooLarge end the connection.
  State feed(const char* data, std::size_t n);
  const HttpRequest& request() const { return request_; }
  bool keep_alive() const { return keep_alive_; }
  bool pipelined() const { return pipelined_; }
  State state() const { return state_; }
  std::string error() const;  // why kBad
  // Ready for the next request on a kept-alive connection.
  void reset();

 private:
  static const http_parser_settings& settings();
  void finish_url();

  http_parser parser_{};
  std::string url_;
  std::string header_field_;
  bool header_value_last_ = false;
  HttpRequest request_;
  std::size_t bytes_ = 0;
  State state_ = State::kNeedMore;
  bool keep_alive_ = false;
  bool pipelined_ = false;
};

std::string percent_decode(const std::string& text);
// "a=1&b=%2F" -> {a: 1, b: /}; the last of repeated keys wins.
std::map<std::string, std::string> parse_query(const std::string& query);

}  // namespace prober::net
