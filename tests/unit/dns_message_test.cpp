// The DNS answer parser, on packets built here byte by byte, including hostile ones.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "checks/dns_message.h"
#include "io/socket_address.h"

using namespace prober::checks;

namespace {

// A small fluent builder for answer messages (as c-ares's tests build theirs).
class Packet {
 public:
  explicit Packet(std::uint16_t flags = 0x8180) { u16(0x1234).u16(flags).u16(1).u16(0).u16(0).u16(0); }
  Packet& u8(unsigned v) {
    bytes_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Packet& u16(unsigned v) { return u8(v >> 8).u8(v & 0xff); }
  Packet& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  Packet& name(const std::string& dotted) {
    std::size_t start = 0;
    while (start < dotted.size()) {
      auto dot = dotted.find('.', start);
      auto label = dotted.substr(start, dot - start);
      u8(static_cast<unsigned>(label.size()));
      for (char c : label) u8(static_cast<unsigned char>(c));
      start = dot == std::string::npos ? dotted.size() : dot + 1;
    }
    return u8(0);
  }
  Packet& question(const std::string& n, unsigned type) { return name(n).u16(type).u16(1); }
  // An answer record named by a pointer to the question name at offset 12.
  Packet& answer(unsigned type, std::uint32_t ttl, const std::vector<std::uint8_t>& rdata) {
    ++answers_;
    bytes_[6] = static_cast<std::uint8_t>(answers_ >> 8);
    bytes_[7] = static_cast<std::uint8_t>(answers_ & 0xff);
    u16(0xc00c).u16(type).u16(1).u32(ttl).u16(static_cast<unsigned>(rdata.size()));
    bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
    return *this;
  }
  Packet& set_answer_count(unsigned n) {
    bytes_[6] = static_cast<std::uint8_t>(n >> 8);
    bytes_[7] = static_cast<std::uint8_t>(n & 0xff);
    return *this;
  }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
  unsigned answers_ = 0;
};

std::vector<std::uint8_t> wire_name(const std::string& dotted) {
  Packet p;
  std::vector<std::uint8_t> all = p.name(dotted).bytes();
  return std::vector<std::uint8_t>(all.begin() + 12, all.end());
}

std::variant<DnsMessage, std::string> parse(const Packet& p) {
  return parse_dns_message(p.bytes().data(), p.bytes().size());
}

}  // namespace

TEST_CASE("A, AAAA and the TTLs") {
  Packet p;
  p.question("shop.test", 1).answer(1, 300, {203, 0, 113, 7}).answer(1, 60, {203, 0, 113, 8});
  auto m = std::get<DnsMessage>(parse(p));
  REQUIRE(m.answers.size() == 2);
  CHECK(m.answers[0].name == "shop.test.");
  CHECK(m.answers[0].data == "203.0.113.7");
  CHECK(m.answers[0].ttl == 300);
  CHECK(m.answers[1].ttl == 60);

  Packet v6;
  std::vector<std::uint8_t> loopback(16, 0);
  loopback[15] = 1;
  v6.question("shop.test", 28).answer(28, 5, loopback);
  CHECK(std::get<DnsMessage>(parse(v6)).answers[0].data == "::1");
}

TEST_CASE("record types in presentation form") {
  auto mx = wire_name("mail.test");
  mx.insert(mx.begin(), {0, 10});
  std::vector<std::uint8_t> txt = {3, 'a', 'b', 'c', 2, 'd', '"'};
  auto srv = wire_name("web.test");
  srv.insert(srv.begin(), {0, 1, 0, 2, 0, 80});
  std::vector<std::uint8_t> caa = {0, 5, 'i', 's', 's', 'u', 'e', 'c', 'a', '.', 't', 'e', 's', 't'};
  auto soa = wire_name("ns.test");
  auto rname = wire_name("admin.test");
  soa.insert(soa.end(), rname.begin(), rname.end());
  for (std::uint32_t v : {2026112501u, 7200u, 3600u, 1209600u, 300u}) {
    soa.insert(soa.end(), {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                           static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
  }
  struct Row {
    int type;
    std::vector<std::uint8_t> rdata;
    const char* expected;
  } rows[] = {
      {15, mx, "10 mail.test."},
      {16, txt, "\"abc\" \"d\\\"\""},
      {33, srv, "1 2 80 web.test."},
      {257, caa, "0 issue \"ca.test\""},
      {5, wire_name("target.test"), "target.test."},
      {2, wire_name("ns1.test"), "ns1.test."},
      {12, wire_name("host.test"), "host.test."},
      {6, soa, "ns.test. admin.test. 2026112501 7200 3600 1209600 300"},
      {99, {0xde, 0xad}, "\\# 2 dead"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.type);
    Packet p;
    p.question("x.test", static_cast<unsigned>(row.type)).answer(static_cast<unsigned>(row.type), 1, row.rdata);
    auto parsed = parse(p);
    REQUIRE(std::holds_alternative<DnsMessage>(parsed));
    CHECK(std::get<DnsMessage>(parsed).answers.at(0).data == row.expected);
  }
}

TEST_CASE("rcode and flags") {
  Packet p(0x8183);  // response, NXDOMAIN
  p.question("nx.test", 1);
  auto m = std::get<DnsMessage>(parse(p));
  CHECK(m.rcode == 3);
  CHECK(dns_rcode_name(m.rcode) == "NXDOMAIN");
  CHECK(m.answers.empty());
  CHECK(dns_rcode_from_name("SERVFAIL") == 2);
  CHECK(dns_rcode_name(14) == "RCODE14");
  CHECK(dns_type_from_name("CAA") == 257);
  CHECK_FALSE(dns_type_from_name("BOGUS").has_value());
}

TEST_CASE("hostile answers are errors, never crashes") {
  SUBCASE("shorter than a header") {
    std::uint8_t three[] = {1, 2, 3};
    CHECK(std::holds_alternative<std::string>(parse_dns_message(three, sizeof three)));
  }
  SUBCASE("a query, not a response") {
    Packet p(0x0100);
    CHECK(std::get<std::string>(parse(p)).find("query") != std::string::npos);
  }
  SUBCASE("rdata runs past the end") {
    Packet p;
    p.question("x.test", 1).answer(1, 1, {127, 0, 0, 1});
    auto bytes = p.bytes();
    bytes[bytes.size() - 5] = 200;  // rdlength low byte
    CHECK(std::holds_alternative<std::string>(parse_dns_message(bytes.data(), bytes.size())));
  }
  SUBCASE("more answers claimed than present") {
    Packet p;
    p.question("x.test", 1).answer(1, 1, {127, 0, 0, 1}).set_answer_count(3);
    CHECK(std::holds_alternative<std::string>(parse(p)));
  }
  SUBCASE("compression pointer loop") {
    Packet p;
    p.u16(0xc00c);  // the question's name points at itself
    CHECK(std::holds_alternative<std::string>(parse(p)));
  }
  SUBCASE("forward compression pointer") {
    Packet p;
    p.u16(0xc0ff).u16(1).u16(1);
    CHECK(std::holds_alternative<std::string>(parse(p)));
  }
  SUBCASE("an A record of the wrong length") {
    Packet p;
    p.question("x.test", 1).answer(1, 1, {127, 0, 1});
    CHECK(std::holds_alternative<std::string>(parse(p)));
  }
  SUBCASE("a TXT string longer than its record") {
    Packet p;
    p.question("x.test", 16).answer(16, 1, {9, 'a'});
    CHECK(std::holds_alternative<std::string>(parse(p)));
  }
  SUBCASE("truncated at every length") {
    Packet p;
    p.question("x.test", 15).answer(15, 1, {0, 10, 4, 'm', 'a', 'i', 'l', 0});
    const auto& full = p.bytes();
    for (std::size_t n = 0; n < full.size(); ++n) {
      CAPTURE(n);
      CHECK(std::holds_alternative<std::string>(parse_dns_message(full.data(), n)));
    }
    CHECK(std::holds_alternative<DnsMessage>(parse_dns_message(full.data(), full.size())));
  }
}

TEST_CASE("an address's text is what inet_ntop writes") {
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    std::uint32_t v4 = i < 3 ? std::array<std::uint32_t, 3>{0, 0xffffffff, 0x0a000001}[i] : random();
    std::array<unsigned char, 16> v6{};
    for (auto& b : v6) b = static_cast<unsigned char>(i % 3 == 0 ? 0 : random());
    char expected[INET6_ADDRSTRLEN];
    CHECK(prober::io::address_text(AF_INET, &v4) == inet_ntop(AF_INET, &v4, expected, sizeof expected));
    CHECK(prober::io::address_text(AF_INET6, v6.data()) == inet_ntop(AF_INET6, v6.data(), expected, sizeof expected));
  }
  CHECK(prober::io::address_text(AF_UNIX, "x").empty());
}
