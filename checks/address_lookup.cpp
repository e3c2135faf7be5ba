#include "checks/address_lookup.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <uv.h>

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "checks/dns_message.h"
#include "checks/timings.h"

namespace prober::checks {
namespace {

bool wants(config::IpVersion version, int index) {
  switch (version) {
    case config::IpVersion::kV4:
      return index == 0;
    case config::IpVersion::kV6:
      return index == 1;
    default:
      return true;
  }
}

// Parses an address literal into `bytes` (room for IPv6); its IP version, 0 when it is none.
int parse_address(const std::string& address, unsigned char* bytes) {
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) return 4;
  if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) return 6;
  return 0;
}

}  // namespace

std::size_t bound_each(std::vector<std::string>& addresses) {
  std::unordered_set<std::string> seen;  // a forged answer may hold thousands
  std::erase_if(addresses, [&seen](const std::string& a) { return !seen.insert(a).second; });
  if (addresses.size() <= kMaxEachAddresses) return 0;
  std::size_t left_out = addresses.size() - kMaxEachAddresses;
  // Per family (IPv4, IPv6): the address as bytes, whose order is its numeric order, and as text.
  std::vector<std::pair<std::string, std::string>> family[2];
  for (auto& a : addresses) {
    unsigned char bytes[sizeof(in6_addr)];
    int version = parse_address(a, bytes);
    std::string key(reinterpret_cast<char*>(bytes), version == 6 ? 16 : version == 4 ? 4 : 0);
    family[version == 6 ? 1 : 0].emplace_back(std::move(key), std::move(a));
  }
  for (auto& f : family) std::sort(f.begin(), f.end());
  std::size_t take[2] = {0, 0};
  for (std::size_t turn = 0; take[0] + take[1] < kMaxEachAddresses; ++turn) {
    std::size_t index = turn % 2;
    if (take[index] < family[index].size()) ++take[index];
  }
  addresses.clear();
  for (int index = 0; index < 2; ++index) {
    for (std::size_t i = 0; i < take[index]; ++i) addresses.push_back(std::move(family[index][i].second));
  }
  return left_out;
}

std::string_view lookup_question(config::IpVersion version) {
  return version == config::IpVersion::kV4 ? "A" : version == config::IpVersion::kV6 ? "AAAA" : "A+AAAA";
}

bool is_ip_literal(const std::string& host) { return ip_version_of(host) != 0; }

int ip_version_of(const std::string& address) {
  unsigned char buffer[sizeof(in6_addr)];
  return parse_address(address, buffer);
}

void AddressLookup::pick(AddressLookupResult& result) const {
  if (version_ == config::IpVersion::kEach) {
    result.dns.addresses_left_out = bound_each(result.addresses);
  } else {
    result.addresses.resize(1);
  }
}

AddressLookup::AddressLookup(std::shared_ptr<io::AresResolver> resolver, std::string host, config::IpVersion version)
    : resolver_(std::move(resolver)), host_(std::move(host)), version_(version) {}

std::optional<AddressLookupResult> AddressLookup::start(Done done) {
  if (started_) {  // a second start would mix two lookups' answers: refuse it loudly
    AddressLookupResult misuse;
    misuse.failure = internal_error(Phase::kDns);
    misuse.detail = "internal error: an address lookup was started twice";
    return misuse;
  }
  started_ = true;
  AddressLookupResult immediate;
  if (is_ip_literal(host_)) {
    int family = ip_version_of(host_);
    if ((version_ == config::IpVersion::kV4 && family == 6) || (version_ == config::IpVersion::kV6 && family == 4)) {
      immediate.failure = classify_dns(ARES_ENODATA, 0, false);
      immediate.detail = host_ + " is an IPv" + std::to_string(family) + " address";
    } else {
      immediate.addresses.push_back(host_);
    }
    return immediate;
  }
  for (int index = 0; index < 2; ++index) {
    if (!wants(version_, index)) continue;
    for (auto& a : resolver_->hosts_file_addresses(host_, index == 0 ? AF_INET : AF_INET6)) {
      immediate.addresses.push_back(a);
    }
  }
  if (!immediate.addresses.empty()) {
    immediate.dns.server = "hosts file";
    immediate.dns.answers = immediate.addresses;
    pick(immediate);
    return immediate;
  }

  done_ = std::move(done);
  started_ns_ = uv_hrtime();
  // Every wanted answer is marked as asked before the first query goes out, so no reply can
  // look like the last one while another is still to be asked.
  for (int index = 0; index < 2; ++index) answers_[index].asked = wants(version_, index);
  for (int index = 0; index < 2; ++index) {
    if (!answers_[index].asked) continue;
    answers_[index].id = resolver_->query(host_, index == 0 ? ns_t_a : ns_t_aaaa,
                                          [this, index](io::DnsReply reply) { on_reply(index, std::move(reply)); });
  }
  return std::nullopt;
}

void AddressLookup::cancel() noexcept {
  for (auto& answer : answers_) {
    if (answer.asked && !answer.done && answer.id != 0) resolver_->cancel(answer.id);
    answer.id = 0;
  }
  done_ = nullptr;
}

std::optional<std::string> AddressLookup::unusable_reply() const {
  for (const auto& answer : answers_) {
    if (!answer.asked || answer.done || answer.id == 0) continue;
    if (auto what = resolver_->unusable_reply(answer.id)) return what;
  }
  return std::nullopt;
}

void AddressLookup::on_reply(int index, io::DnsReply reply) {
  answers_[index].done = true;
  answers_[index].id = 0;
  answers_[index].reply = std::move(reply);
  for (const auto& a : answers_) {
    if (a.asked && !a.done) return;
  }
  AddressLookupResult result = combine();
  for (auto& a : answers_) a.reply = io::DnsReply{};  // raw answers can be large: not kept
  result.duration = since(started_ns_);
  if (auto done = std::move(done_)) done(std::move(result));
}

AddressLookupResult AddressLookup::combine() const {
  AddressLookupResult result;
  result.dns.server = resolver_->servers();
  Failure failures[2];
  std::string details[2];
  std::vector<std::string> found[2];
  for (int index = 0; index < 2; ++index) {
    const Answer& a = answers_[index];
    if (!a.asked) continue;
    const int type = index == 0 ? ns_t_a : ns_t_aaaa;
    int rcode = 0;
    int status = a.reply.status;
    if (status == ARES_SUCCESS) {
      auto parsed = parse_dns_message(a.reply.answer.data(), a.reply.answer.size());
      if (auto* error = std::get_if<std::string>(&parsed)) {
        failures[index] = classify_dns(ARES_EBADRESP, 0, false);
        details[index] = *error;
        continue;
      }
      const auto& message = std::get<DnsMessage>(parsed);
      rcode = message.rcode;
      result.dns.rcode = dns_rcode_name(rcode);
      for (const auto& record : message.answers) {
        result.dns.answers.push_back(record.data);
        result.dns.ttls.push_back(record.ttl);
        if (record.type == type) found[index].push_back(record.data);
      }
    }
    failures[index] = classify_dns(status, rcode, !found[index].empty(), a.reply.unusable.has_value());
    details[index] = dns_type_name(type) + " " + host_ + ": " +
                     (status == ARES_SUCCESS ? dns_rcode_name(rcode) + (found[index].empty() ? ", no records" : "")
                      : a.reply.unusable     ? "the server sent " + *a.reply.unusable
                                             : std::string(ares_strerror(status)));
  }
  result.dns.question = host_ + " " + std::string(lookup_question(version_));
  // IPv4 first ("any" prefers it), then IPv6.
  for (int index = 0; index < 2; ++index) {
    for (const auto& address : found[index]) result.addresses.push_back(address);
  }
  if (!result.addresses.empty()) {
    pick(result);
    return result;
  }
  // Nothing to probe: report the more telling failure (a hard answer beats "no data").
  int pick = answers_[0].asked ? 0 : 1;
  if (answers_[0].asked && answers_[1].asked && failures[0].failure_class == FailureClass::kDnsNoAddress) pick = 1;
  result.failure = failures[pick];
  result.detail = details[0].empty() ? details[1] : details[1].empty() ? details[0] : details[0] + "; " + details[1];
  return result;
}

}  // namespace prober::checks
