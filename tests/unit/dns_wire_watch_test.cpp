// The wire watch's reading of DNS headers: what it reports must name the question exactly, and
// hostile bytes must give "unparsable", never a wrong question.
#include <ares.h>
#include <arpa/nameser.h>
#include <doctest/doctest.h>

#include <vector>

#include "io/dns_wire_watch.h"

using prober::io::DnsWireWatch;

namespace {

std::vector<unsigned char> query(const char* name, int type, unsigned short id) {
  unsigned char* packet = nullptr;
  int length = 0;
  REQUIRE(ares_create_query(name, ns_c_in, type, id, 1, &packet, &length, 0) == ARES_SUCCESS);
  std::vector<unsigned char> out(packet, packet + length);
  ares_free_string(packet);
  return out;
}

}  // namespace

TEST_CASE("a query's id and question, the name in lower case and the type by name") {
  auto q = query("Shop.Example.", ns_t_aaaa, 0x1234);
  auto h = DnsWireWatch::parse(q.data(), q.size());
  REQUIRE(h);
  CHECK(h->id == 0x1234);
  CHECK_FALSE(h->is_answer);
  CHECK_FALSE(h->truncated);
  CHECK(h->question == "shop.example AAAA");
  CHECK(DnsWireWatch::question_key("shop.example", ns_t_aaaa) == h->question);
  CHECK(DnsWireWatch::question_key("x.test", 65) == "x.test TYPE65");
}

TEST_CASE("answer and truncation bits") {
  auto q = query("a.test", ns_t_a, 7);
  q[2] |= 0x80 | 0x02;
  auto h = DnsWireWatch::parse(q.data(), q.size());
  REQUIRE(h);
  CHECK(h->is_answer);
  CHECK(h->truncated);
}

TEST_CASE("hostile bytes: too short, labels past the end, pointers, two questions") {
  unsigned char seven[7] = {1, 2, 3, 4, 5, 6, 7};
  CHECK_FALSE(DnsWireWatch::parse(seven, sizeof seven));
  auto q = query("abc.test", ns_t_a, 1);
  auto cut = q;
  cut.resize(14);  // the first label claims 3 bytes, one follows
  REQUIRE(DnsWireWatch::parse(cut.data(), cut.size()));
  CHECK(DnsWireWatch::parse(cut.data(), cut.size())->question.empty());
  auto pointer = q;
  pointer[12] = 0xc0;  // a compression pointer where a label must be
  CHECK(DnsWireWatch::parse(pointer.data(), pointer.size())->question.empty());
  auto two = q;
  two[5] = 2;
  CHECK(DnsWireWatch::parse(two.data(), two.size())->question.empty());
  auto no_type = q;
  no_type.resize(q.size() - 3);
  CHECK(DnsWireWatch::parse(no_type.data(), no_type.size())->question.empty());
}
