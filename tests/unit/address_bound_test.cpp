#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "checks/address_lookup.h"

using prober::checks::bound_each;
using prober::checks::kMaxEachAddresses;

namespace {

std::vector<std::string> v4_range(int from, int count) {
  std::vector<std::string> out;
  for (int i = from; i < from + count; ++i) out.push_back("192.0.2." + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("ip_version each: a name's addresses within the bound are probed as they came, once each") {
  std::vector<std::string> addresses{"192.0.2.9", "2001:db8::2", "192.0.2.1", "192.0.2.9", "2001:db8::2"};
  CHECK(bound_each(addresses) == 0);
  CHECK(addresses == std::vector<std::string>{"192.0.2.9", "2001:db8::2", "192.0.2.1"});
  auto full = v4_range(1, static_cast<int>(kMaxEachAddresses));
  auto kept = full;
  CHECK(bound_each(kept) == 0);
  CHECK(kept == full);
}

TEST_CASE("ip_version each: past the bound, the lowest of each family in turn, whatever the answers' order") {
  // 40 IPv4 addresses (numerically, not as text: .9 is below .10) and three IPv6 ones.
  std::vector<std::string> addresses = v4_range(1, 40);
  addresses.insert(addresses.end(), {"2001:db8::10", "2001:db8::9", "2001:db8::a"});
  std::vector<std::string> expected = v4_range(1, static_cast<int>(kMaxEachAddresses) - 3);
  expected.insert(expected.end(), {"2001:db8::9", "2001:db8::a", "2001:db8::10"});
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {  // round-robin DNS: the same set in another order each time
    std::vector<std::string> answer = addresses;
    std::shuffle(answer.begin(), answer.end(), random);
    answer.push_back(answer.front());  // a repeated record is not an address more
    CHECK(bound_each(answer) == 43 - kMaxEachAddresses);
    CHECK(answer == expected);
  }
}

TEST_CASE("ip_version each: past the bound, both families keep half when both have enough") {
  std::vector<std::string> addresses = v4_range(1, 30);
  for (int i = 1; i <= 30; ++i) addresses.push_back("2001:db8::" + std::to_string(i));
  CHECK(bound_each(addresses) == 60 - kMaxEachAddresses);
  REQUIRE(addresses.size() == kMaxEachAddresses);
  auto v6 = std::count_if(addresses.begin(), addresses.end(),
                          [](const std::string& a) { return a.find(':') != std::string::npos; });
  CHECK(v6 == static_cast<long>(kMaxEachAddresses / 2));
  CHECK(addresses.front() == "192.0.2.1");
  CHECK(addresses.back() == "2001:db8::8");
}
