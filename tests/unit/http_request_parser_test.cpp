// The endpoint's request parser on its own: what it makes of bytes, read by read.
#include <doctest/doctest.h>

#include <string>

#include "net/http_request_parser.h"
#include "net/http_server.h"

using prober::net::HttpRequestParser;
using prober::net::parse_query;
using prober::net::percent_decode;
using State = HttpRequestParser::State;

namespace {

State feed(HttpRequestParser& p, const std::string& bytes, std::size_t chunk = 1000000) {
  State s = State::kNeedMore;
  for (std::size_t at = 0; at < bytes.size() && s == State::kNeedMore; at += chunk) {
    s = p.feed(bytes.data() + at, std::min(chunk, bytes.size() - at));
  }
  return s;
}

}  // namespace

TEST_CASE("a request read one byte at a time: method, decoded path and query, lower-cased headers") {
  HttpRequestParser p;
  CHECK(feed(p,
             "GET /pro%62e?target=https%3A%2F%2Fshop.example%2F&module=http_2xx&x HTTP/1.1\r\n"
             "Host: a\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
             1) == State::kComplete);
  CHECK(p.request().method == "GET");
  CHECK(p.request().path == "/probe");
  CHECK(p.request().query.at("target") == "https://shop.example/");
  CHECK(p.request().query.at("module") == "http_2xx");
  CHECK(p.request().query.at("x").empty());
  CHECK(p.request().headers.at("x-prometheus-scrape-timeout-seconds") == "10");
  CHECK(p.keep_alive());
  CHECK_FALSE(p.pipelined());
}

TEST_CASE("keep-alive: reset() reads the next request; bytes after a request mark it pipelined") {
  HttpRequestParser p;
  CHECK(feed(p, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n") == State::kComplete);
  CHECK(p.request().path == "/a");
  CHECK(p.pipelined());
  p.reset();
  CHECK(feed(p, "GET /c HTTP/1.0\r\n\r\n") == State::kComplete);
  CHECK(p.request().path == "/c");
  CHECK_FALSE(p.keep_alive());  // HTTP/1.0 without Connection: keep-alive
}

TEST_CASE("what is not HTTP is kBad with a reason; more than 8 KiB is kTooLarge") {
  HttpRequestParser bad;
  CHECK(feed(bad, "SSH-2.0-OpenSSH_9.2\r\n\r\n") == State::kBad);
  CHECK_FALSE(bad.error().empty());
  HttpRequestParser big;
  CHECK(feed(big, "GET /" + std::string(9000, 'a'), 512) == State::kTooLarge);
  CHECK(big.feed("x", 1) == State::kTooLarge);  // stays ended
}

TEST_CASE("percent decoding keeps what is not an escape, including a '%' at the very end") {
  CHECK(percent_decode("a%20b+c") == "a b c");
  CHECK(percent_decode("%") == "%");
  CHECK(percent_decode("%4") == "%4");
  CHECK(percent_decode("%zz%4g") == "%zz%4g");
  CHECK(percent_decode("%00") == std::string(1, '\0'));
  CHECK(percent_decode("%FF%fe") == "\xff\xfe");
  CHECK(parse_query("a=1&&b=%3D&a=2").at("a") == "2");
  CHECK(parse_query("a=1&&b=%3D").at("b") == "=");
}

TEST_CASE("which listen addresses are loopback only (an open /probe is served there alone)") {
  using prober::net::is_loopback_listen;
  for (const char* yes : {"127.0.0.1:9465", "127.1.2.3:0", "[::1]:9465", "localhost:9465"})
    CHECK(is_loopback_listen(yes));
  for (const char* no : {"0.0.0.0:9465", ":9465", "[::]:9465", "192.0.2.1:9465", "10.0.0.1:80", "127.example.com:1"}) {
    CAPTURE(no);
    CHECK_FALSE(is_loopback_listen(no));
  }
}
