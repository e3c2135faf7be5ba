#include "checks/address_lookup.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <uv.h>

#include "checks/dns_message.h"
#include "checks/timings.h"

namespace prober::checks {
namespace {

bool wants(config::IpVersion version, int index) {
  switch (version) {
    case config::IpVersion::kV4: return index == 0;
    case config::IpVersion::kV6: return index == 1;
    default: return true;
  }
}

}  // namespace

bool is_ip_literal(const std::string& host) { return ip_version_of(host) != 0; }

int ip_version_of(const std::string& address) {
  unsigned char buffer[sizeof(in6_addr)];
  if (inet_pton(AF_INET, address.c_str(), buffer) == 1) return 4;
  if (inet_pton(AF_INET6, address.c_str(), buffer) == 1) return 6;
  return 0;
}

std::optional<AddressLookupResult> AddressLookup::start(io::AresResolver& resolver, const std::string& host,
                                                        config::IpVersion version, Done done) {
  AddressLookupResult immediate;
  if (is_ip_literal(host)) {
    int family = ip_version_of(host);
    if ((version == config::IpVersion::kV4 && family == 6) || (version == config::IpVersion::kV6 && family == 4)) {
      immediate.failure = classify_dns(ARES_ENODATA, 0, false);
      immediate.detail = host + " is an IPv" + std::to_string(family) + " address";
    } else {
      immediate.addresses.push_back(host);
    }
    return immediate;
  }
  for (int index = 0; index < 2; ++index) {
    if (!wants(version, index)) continue;
    for (auto& a : resolver.hosts_file_addresses(host, index == 0 ? AF_INET : AF_INET6)) {
      immediate.addresses.push_back(a);
    }
  }
  if (!immediate.addresses.empty()) {
    if (version != config::IpVersion::kEach) immediate.addresses.resize(1);
    immediate.dns.server = "hosts file";
    immediate.dns.answers = immediate.addresses;
    return immediate;
  }

  resolver_ = &resolver;
  host_ = host;
  version_ = version;
  done_ = std::move(done);
  started_ns_ = static_cast<std::int64_t>(uv_hrtime());
  for (int index = 0; index < 2; ++index) {
    if (!wants(version, index)) continue;
    answers_[index].asked = true;
    ids_[index] = resolver.query(host, index == 0 ? ns_t_a : ns_t_aaaa,
                                 [this, index](io::DnsReply reply) { on_reply(index, std::move(reply)); });
  }
  return std::nullopt;
}

void AddressLookup::cancel() noexcept {
  for (int index = 0; index < 2; ++index) {
    if (answers_[index].asked && !answers_[index].done && resolver_) resolver_->cancel(ids_[index]);
    answers_[index].asked = false;
  }
  done_ = nullptr;
}

void AddressLookup::on_reply(int index, io::DnsReply reply) {
  answers_[index].done = true;
  answers_[index].reply = std::move(reply);
  for (const auto& a : answers_) {
    if (a.asked && !a.done) return;
  }
  AddressLookupResult result = combine();
  for (auto& a : answers_) a.reply = io::DnsReply{};  // raw answers can be large: not kept
  result.duration = since(static_cast<std::uint64_t>(started_ns_));
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
    failures[index] = classify_dns(status, rcode, !found[index].empty());
    details[index] = dns_type_name(type) + " " + host_ + ": " +
                     (status == ARES_SUCCESS ? dns_rcode_name(rcode) + (found[index].empty() ? ", no records" : "")
                                             : std::string(ares_strerror(status)));
  }
  result.dns.question = host_ + (version_ == config::IpVersion::kV4   ? " A"
                                 : version_ == config::IpVersion::kV6 ? " AAAA"
                                                                      : " A+AAAA");
  // IPv4 first ("any" prefers it), then IPv6.
  for (int index = 0; index < 2; ++index) {
    for (const auto& address : found[index]) result.addresses.push_back(address);
  }
  if (!result.addresses.empty()) {
    if (version_ != config::IpVersion::kEach) result.addresses.resize(1);
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
