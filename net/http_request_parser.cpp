#include "net/http_request_parser.h"

#include <cctype>

namespace prober::net {

std::string percent_decode(const std::string& text) {
  auto hex = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                                                       : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < query.size()) {
    auto amp = query.find('&', start);
    std::string pair = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    auto eq = pair.find('=');
    if (!pair.empty()) {
      out[percent_decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

const http_parser_settings& HttpRequestParser::settings() {
  static const http_parser_settings s = [] {
    http_parser_settings s{};
    s.on_url = [](http_parser* p, const char* at, size_t n) {
      static_cast<HttpRequestParser*>(p->data)->url_.append(at, n);
      return 0;
    };
    s.on_header_field = [](http_parser* p, const char* at, size_t n) {
      auto* c = static_cast<HttpRequestParser*>(p->data);
      if (c->header_value_last_) c->header_field_.clear();
      c->header_value_last_ = false;
      c->header_field_.append(at, n);
      return 0;
    };
    s.on_header_value = [](http_parser* p, const char* at, size_t n) {
      auto* c = static_cast<HttpRequestParser*>(p->data);
      std::string name = c->header_field_;
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (!c->header_value_last_) c->request_.headers[name].clear();
      c->request_.headers[name].append(at, n);
      c->header_value_last_ = true;
      return 0;
    };
    s.on_message_complete = [](http_parser* p) {
      auto* c = static_cast<HttpRequestParser*>(p->data);
      c->state_ = State::kComplete;
      c->keep_alive_ = http_should_keep_alive(p) != 0;
      http_parser_pause(p, 1);  // one request at a time: stop here
      return 0;
    };
    return s;
  }();
  return s;
}

void HttpRequestParser::reset() {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  url_.clear();
  header_field_.clear();
  header_value_last_ = false;
  request_ = HttpRequest{};
  bytes_ = 0;
  state_ = State::kNeedMore;
  keep_alive_ = false;
  pipelined_ = false;
}

HttpRequestParser::State HttpRequestParser::feed(const char* data, std::size_t n) {
  if (state_ != State::kNeedMore || n == 0) return state_;
  bytes_ += n;
  if (bytes_ > kMaxRequestBytes) return state_ = State::kTooLarge;
  std::size_t parsed = http_parser_execute(&parser_, &settings(), data, n);
  if (state_ == State::kComplete) {
    if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) http_parser_pause(&parser_, 0);
    pipelined_ = parsed != n;
    request_.method = http_method_str(static_cast<http_method>(parser_.method));
    finish_url();
    return state_;
  }
  if (parser_.http_errno != HPE_OK || parsed != n) return state_ = State::kBad;
  return state_;
}

void HttpRequestParser::finish_url() {
  http_parser_url u{};
  http_parser_url_init(&u);
  if (http_parser_parse_url(url_.data(), url_.size(), 0, &u) != 0) return;
  if (u.field_set & (1 << UF_PATH)) {
    request_.path = percent_decode(url_.substr(u.field_data[UF_PATH].off, u.field_data[UF_PATH].len));
  }
  if (u.field_set & (1 << UF_QUERY)) {
    request_.query = parse_query(url_.substr(u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len));
  }
}

std::string HttpRequestParser::error() const { return http_errno_description(HTTP_PARSER_ERRNO(&parser_)); }

}  // namespace prober::net
