#pragma once
// Resolves a target's host with c-ares into the addresses to probe, per ip_version: A and AAAA
// asked in parallel, each answer's rcode kept, so "no AAAA record" and "NXDOMAIN" stay apart.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checks/check_result.h"
#include "config/monitor_config.h"
#include "io/ares_resolver.h"

namespace prober::checks {

struct AddressLookupResult {
  Failure failure;                     // ok, or the dns_* class
  std::vector<std::string> addresses;  // what to probe, in order
  Micros duration{0};
  DnsFacts dns;
  std::string detail;
};

// ip_version each probes every address of a name, but not without bound: a name with hundreds
// of addresses (or an answer forged to have them) would make as many probes, results and series
// every run.
inline constexpr std::size_t kMaxEachAddresses = 16;

// Drops repeated addresses; past kMaxEachAddresses keeps the lowest of each family in turn (IPv4,
// IPv6, IPv4, ...), IPv4 first: the same ones every run, whatever order the answers came in, and
// both families probed however many the other has. Returns how many were left out.
std::size_t bound_each(std::vector<std::string>& addresses);

// The addresses of `host` to probe: the host itself when it is an IP literal, the hosts file
// (as the system resolver would), else DNS. One lookup per object: a run (or a redirect hop)
// makes its own, and destroying it cancels every query still unanswered.
class AddressLookup {
 public:
  using Done = std::function<void(AddressLookupResult)>;
  AddressLookup(std::shared_ptr<io::AresResolver> resolver, std::string host, config::IpVersion version);
  AddressLookup(const AddressLookup&) = delete;
  AddressLookup& operator=(const AddressLookup&) = delete;
  ~AddressLookup() { cancel(); }

  // Returns the result at once for literals and hosts-file names; otherwise calls `done` later,
  // from the loop (never from inside start()). Call once.
  std::optional<AddressLookupResult> start(Done done);
  void cancel() noexcept;
  // While waiting: what the server sent that could not be used (the deadline's explanation).
  std::optional<std::string> unusable_reply() const;

 private:
  struct Answer {
    bool asked = false;
    bool done = false;
    io::AresResolver::QueryId id = 0;
    io::DnsReply reply;
  };
  void on_reply(int index, io::DnsReply reply);
  AddressLookupResult combine() const;
  // The addresses the run probes: the first, or (ip_version each) all within bound_each's.
  void pick(AddressLookupResult& result) const;

  std::shared_ptr<io::AresResolver> resolver_;  // held: the pool may let go of it meanwhile
  const std::string host_;
  const config::IpVersion version_;
  bool started_ = false;
  Answer answers_[2];  // A, AAAA
  std::uint64_t started_ns_ = 0;
  Done done_;
};

// The record types asked for a family: "A", "AAAA" or "A+AAAA".
std::string_view lookup_question(config::IpVersion version);
bool is_ip_literal(const std::string& host);
int ip_version_of(const std::string& address);  // 4 or 6, 0 when not an address

}  // namespace prober::checks
