// Where a /probe run may go: the address table behind deny_private_addresses, and the
// allow-list applied to every URL.
#include <doctest/doctest.h>

#include "checks/destination_policy.h"

using prober::checks::DestinationPolicy;
using prober::checks::is_non_public_address;

TEST_CASE("non-public addresses: loopback, private, link-local, CGNAT, multicast, reserved, mapped") {
  for (const char* a : {"127.0.0.1",
                        "10.1.2.3",
                        "172.16.0.1",
                        "172.31.255.255",
                        "192.168.1.1",
                        "169.254.169.254",
                        "100.64.0.1",
                        "0.0.0.0",
                        "224.0.0.1",
                        "255.255.255.255",
                        "192.0.0.8",
                        "198.18.0.1",
                        "::1",
                        "::",
                        "fc00::1",
                        "fd12:3456::1",
                        "fe80::1",
                        "ff02::1",
                        "::ffff:10.0.0.1",
                        "::ffff:127.0.0.1",
                        "2001:db8::1",
                        "64:ff9b::a00:1",
                        "not-an-address"}) {
    CAPTURE(a);
    CHECK(is_non_public_address(a));
  }
  for (const char* a : {"1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "192.0.2.1", "203.0.113.5",
                        "2606:4700:4700::1111", "::ffff:1.1.1.1", "64:ff9b::101:101"}) {
    CAPTURE(a);
    CHECK_FALSE(is_non_public_address(a));
  }
}

TEST_CASE("a policy holds every URL to the allow-list and refuses non-public addresses only when asked") {
  prober::config::MonitorConfig configured;  // a monitor of the configuration: goes anywhere
  auto open = std::get<std::shared_ptr<const DestinationPolicy>>(DestinationPolicy::create(configured));
  REQUIRE(open);
  CHECK_FALSE(open->refuse_url("http://169.254.169.254/latest/meta-data/"));
  CHECK_FALSE(open->refuse_address("127.0.0.1"));

  prober::config::MonitorConfig probe;
  probe.request.edit().allowed_targets = {"https://shop\\.example/.*"};
  auto made = DestinationPolicy::create(probe);
  auto policy = std::get<std::shared_ptr<const DestinationPolicy>>(made);
  REQUIRE(policy);
  CHECK_FALSE(policy->refuse_url("https://shop.example/ok"));
  CHECK(policy->refuse_url("http://169.254.169.254/latest/meta-data/").has_value());
  CHECK_FALSE(policy->refuse_address("10.0.0.1"));  // not asked to

  probe.deny_private_addresses = true;
  policy = std::get<std::shared_ptr<const DestinationPolicy>>(DestinationPolicy::create(probe));
  CHECK(policy->refuse_address("10.0.0.1").value() ==
        "10.0.0.1 is not a public address (sinks.prometheus.probe.deny_private_addresses)");
  CHECK_FALSE(policy->refuse_address("1.1.1.1"));

  probe.request.edit().allowed_targets = {"("};
  CHECK(std::holds_alternative<std::string>(DestinationPolicy::create(probe)));
}
