#include "diagnostics/authoritative_dns.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "checks/dns_message.h"
#include "checks/timings.h"

namespace prober::diagnostics {
namespace {

constexpr int kNs = 2, kSoa = 6, kA = 1;
constexpr std::size_t kMaxServers = 8;  // addresses asked directly; real zones have 2 to 6

std::string without_dot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

// "NOERROR aa 192.0.2.80 (3.1 ms)", "REFUSED (0.4 ms)", "no answer: Timeout while contacting DNS servers".
std::string outcome_text(const DnsAsked& a) {
  if (!a.done) return "no answer yet";
  if (!a.rcode) return "no answer: " + a.error;
  std::string out = checks::dns_rcode_name(*a.rcode);
  if (a.authoritative) out += " aa";
  for (const auto& answer : a.answers) out += " " + answer;
  if (a.serial) out += " serial " + *a.serial;
  return out + " (" + checks::format_ms(a.ms) + ")";
}

// A server that cannot be relied on for the zone: silent, refusing, failing or not authoritative.
std::optional<std::string> lameness(const DnsAsked& a) {
  if (!a.done) return "did not answer in time";
  if (!a.rcode) return "no answer (" + a.error + ")";
  if (*a.rcode == 2 || *a.rcode == 5 || *a.rcode == 9) return "answers " + checks::dns_rcode_name(*a.rcode);
  if (!a.authoritative) return "answers without authority (no AA flag): it does not serve the zone";
  return std::nullopt;
}

}  // namespace

checks::Diagnostic summarize_authoritative(const std::string& zone, const std::string& question,
                                           const std::vector<AuthoritativeServer>& servers, bool dns_failed,
                                           const std::string& resolver) {
  checks::Diagnostic d{"dns", "", {}};
  std::vector<std::string> lame, tcp_only_failures;
  std::map<std::string, std::vector<std::string>> by_serial, by_answers;
  for (const auto& s : servers) {
    std::string who = s.name + " (" + s.address + ")";
    d.details.push_back(who + ": UDP " + outcome_text(s.udp) + "; TCP " + outcome_text(s.tcp) + "; SOA " +
                        outcome_text(s.soa));
    if (auto why = lameness(s.udp)) {
      lame.push_back(who + " " + *why);
      continue;
    }
    if (lameness(s.tcp)) tcp_only_failures.push_back(who);
    if (s.soa.serial) by_serial[*s.soa.serial].push_back(s.name);
    const std::optional<int>& rcode = s.udp.rcode;
    if (!rcode) continue;  // lameness() said so above
    by_answers[checks::dns_rcode_name(*rcode) + " " + joined(s.udp.answers, " ")].push_back(s.name);
  }
  auto groups = [](const std::map<std::string, std::vector<std::string>>& by) {
    std::vector<std::string> out;
    out.reserve(by.size());
    for (const auto& [value, names] : by) out.push_back("'" + value + "' from " + joined(names));
    return joined(out, " but ");
  };
  if (servers.empty()) {
    d.summary = "no address found for any authoritative server of " + zone;
  } else if (!lame.empty()) {
    std::string n = std::to_string(servers.size());
    std::string who = lame.size() < servers.size() ? std::to_string(lame.size()) + " of " + n + " authoritative servers"
                      : servers.size() == 1        ? "the only authoritative server"
                                                   : "all " + n + " authoritative servers";
    d.summary =
        who + " of " + zone + (lame.size() == 1 ? " is" : " are") + " lame or unreachable: " + joined(lame, "; ");
  } else if (by_serial.size() > 1) {
    d.summary = "the authoritative servers of " + zone + " disagree on the zone's serial: " + groups(by_serial);
  } else if (by_answers.size() > 1) {
    d.summary =
        "the authoritative servers of " + zone + " give different answers for " + question + ": " + groups(by_answers);
  } else if (!tcp_only_failures.empty()) {
    d.summary = "answered over UDP but not over TCP by " + joined(tcp_only_failures) +
                ": answers too large for UDP (DNSSEC, many records) will fail";
  } else if (dns_failed) {
    d.summary = "all " + std::to_string(servers.size()) + " authoritative servers of " + zone + " answer " + question +
                " alike: the failure is the resolver's (" + resolver + "), not the zone's";
  } else {
    d.summary = "all " + std::to_string(servers.size()) + " authoritative servers of " + zone + " answer " + question +
                " alike" + (by_serial.empty() ? "" : " (serial " + by_serial.begin()->first + ")");
  }
  return d;
}

AuthoritativeDns::AuthoritativeDns(uv_loop_t* loop, std::shared_ptr<io::AresResolver> resolver, std::string name,
                                   int type, bool dns_failed, std::chrono::milliseconds per_query)
    : loop_(loop),
      resolver_(std::move(resolver)),
      name_(without_dot(std::move(name))),
      type_(type),
      dns_failed_(dns_failed),
      per_query_(per_query) {}

AuthoritativeDns::~AuthoritativeDns() {
  *alive_ = false;
  for (auto [resolver, id] : queries_) resolver->cancel(id);
}

void AuthoritativeDns::ask(io::AresResolver& resolver, const std::string& name, int type, DnsAsked& into) {
  ++pending_;
  auto started = uv_hrtime();
  std::weak_ptr<bool> alive = alive_;
  auto id = resolver.query(name, type, [this, alive, &into, type, started](io::DnsReply reply) {
    if (alive.expired() || !*alive.lock()) return;
    into.done = true;
    into.status = reply.status;
    into.ms = static_cast<double>(uv_hrtime() - started) / 1e6;
    if (reply.status != ARES_SUCCESS) {
      into.error = reply.unusable ? *reply.unusable : std::string(ares_strerror(reply.status));
    } else {
      auto parsed = checks::parse_dns_message(reply.answer.data(), reply.answer.size());
      if (auto* error = std::get_if<std::string>(&parsed)) {
        into.error = *error;
      } else {
        auto& m = std::get<checks::DnsMessage>(parsed);
        into.rcode = m.rcode;
        into.authoritative = m.authoritative;
        for (const auto& r : m.answers) {
          if (r.type == type && type != kSoa) into.answers.push_back(without_dot(r.data));  // SOA: its serial
          if (r.type == kSoa) {
            std::istringstream fields(r.data);
            std::string mname, rname, serial;
            if (fields >> mname >> rname >> serial) into.serial = serial;
          }
        }
        std::sort(into.answers.begin(), into.answers.end());
      }
    }
    step_done();
  });
  queries_.emplace_back(&resolver, id);
}

void AuthoritativeDns::start(Done done) {
  done_ = std::move(done);
  // The zone is the longest suffix of the name with NS records: ask for all of them at once.
  std::string suffix = name_;
  while (!suffix.empty() && suffixes_.size() < 10) {
    suffixes_.emplace_back(suffix, DnsAsked{});
    auto dot = suffix.find('.');
    suffix = dot == std::string::npos ? "" : suffix.substr(dot + 1);
  }
  for (auto& [s, asked] : suffixes_) ask(*resolver_, s, kNs, asked);
}

void AuthoritativeDns::step_done() {
  if (--pending_ > 0) return;
  queries_.clear();
  if (stage_ == 0) {
    find_servers();
  } else if (stage_ == 1) {
    ask_servers();
  } else {
    stage_ = 3;  // the servers' resolvers live on with the step: this runs inside their callback
    auto done = std::move(done_);
    if (done) done(conclude(false));
  }
}

void AuthoritativeDns::find_servers() {
  stage_ = 1;
  for (auto& [suffix, asked] : suffixes_) {
    if (asked.answers.empty()) continue;
    zone_ = suffix;
    for (const auto& ns : asked.answers) {
      if (ns_addresses_.size() < kMaxServers) ns_addresses_.emplace_back(ns, DnsAsked{});
    }
    break;
  }
  if (ns_addresses_.empty()) {
    stage_ = 3;
    auto done = std::move(done_);
    if (done) done(conclude(false));
    return;
  }
  for (auto& [ns, asked] : ns_addresses_) ask(*resolver_, ns, kA, asked);
}

void AuthoritativeDns::ask_servers() {
  stage_ = 2;
  for (const auto& [ns, asked] : ns_addresses_) {
    for (const auto& address : asked.answers) {
      if (servers_.size() < kMaxServers) servers_.push_back(AuthoritativeServer{ns, address, {}, {}, {}});
    }
  }
  if (servers_.empty()) {
    stage_ = 3;
    auto done = std::move(done_);
    if (done) done(conclude(false));
    return;
  }
  for (auto& s : servers_) {
    for (bool tcp : {false, true}) {
      io::ResolverOptions options{{s.address}, tcp, per_query_, 1};
      auto made = io::AresResolver::create(loop_, resolver_->sockets(), options);
      if (auto* error = std::get_if<std::string>(&made)) {
        (tcp ? s.tcp : s.udp) = DnsAsked{true, ARES_EBADSTR, std::nullopt, false, {}, std::nullopt, *error, 0};
        continue;
      }
      direct_.push_back(std::move(std::get<std::unique_ptr<io::AresResolver>>(made)));
      ask(*direct_.back(), name_, type_, tcp ? s.tcp : s.udp);
      if (!tcp) ask(*direct_.back(), zone_, kSoa, s.soa);
    }
  }
  if (pending_ == 0) {  // no resolver could be made: nothing was asked
    ++pending_;
    step_done();
  }
}

checks::Diagnostic AuthoritativeDns::conclude(bool cut) const {
  std::string question = name_ + " " + checks::dns_type_name(type_);
  checks::Diagnostic d;
  if (zone_.empty()) {
    d.kind = "dns";
    std::vector<std::string> asked;
    asked.reserve(suffixes_.size());
    for (const auto& [suffix, a] : suffixes_) asked.push_back(suffix + " NS: " + outcome_text(a));
    bool any_answer =
        std::any_of(suffixes_.begin(), suffixes_.end(), [](const auto& s) { return s.second.rcode.has_value(); });
    d.summary = (cut ? "cut short: " : std::string()) + "the resolver (" + resolver_->servers() + ")" +
                (any_answer ? " named no authoritative server for " + name_ + " or any parent"
                            : " answered no NS query either, for " + name_ +
                                  " or any parent: the resolver, or the "
                                  "path to it, fails; the zone's own servers could not be found through it");
    d.details = asked;
    return d;
  }
  if (stage_ < 2) {
    d = {"dns", "", {}};
    d.summary = (cut ? "cut short: " : "") + std::string("the addresses of ") + zone_ + "'s servers did not resolve";
    for (const auto& [ns, a] : ns_addresses_) d.details.push_back(ns + " A: " + outcome_text(a));
    return d;
  }
  d = summarize_authoritative(zone_, question, servers_, dns_failed_, resolver_->servers());
  if (cut) d.summary = "cut short at the deadline: " + d.summary;
  return d;
}

checks::Diagnostic AuthoritativeDns::cut_short() {
  *alive_ = false;
  for (auto [resolver, id] : queries_) resolver->cancel(id);
  queries_.clear();
  done_ = nullptr;
  return conclude(true);
}

}  // namespace prober::diagnostics
