#include "checks/dns_check.h"

#include <re2/re2.h>
#include <uv.h>

#include "checks/destination_policy.h"
#include "checks/dns_message.h"
#include "checks/patterns.h"
#include "checks/timings.h"

namespace prober::checks {
namespace {

// What every run of a DNS check reads and none changes.
struct DnsSpec {
  explicit DnsSpec(std::shared_ptr<const config::MonitorConfig> m) : shared_monitor(std::move(m)) {}
  std::shared_ptr<const config::MonitorConfig> shared_monitor;  // the configuration's own, not a copy
  const config::MonitorConfig& monitor = *shared_monitor;
  int type = 0;
  int expected_rcode = 0;
  std::vector<Pattern> answer_patterns;
};

// One question asked once: the query id, the timing and the reply belong to this run only.
class DnsRun final : public CheckRun {
 public:
  DnsRun(std::shared_ptr<const DnsSpec> spec, DoneCallback done)
      : spec_(std::move(spec)),
        done_(std::move(done)),
        started_at_(std::chrono::system_clock::now()),
        started_ns_(uv_hrtime()) {}
  ~DnsRun() override {
    done_ = nullptr;
    if (query_ && resolver_) resolver_->cancel(query_);
  }

  void start(io::ResolverPool& resolvers);
  std::vector<CheckResult> cancel() noexcept override;

 private:
  void on_reply(io::DnsReply reply);
  CheckResult base_result() const;

  std::shared_ptr<const DnsSpec> spec_;
  const config::MonitorConfig& monitor_ = spec_->monitor;
  DoneCallback done_;
  std::chrono::system_clock::time_point started_at_;
  std::uint64_t started_ns_ = 0;
  std::shared_ptr<io::AresResolver> resolver_;  // held: the pool may let go of it meanwhile
  io::AresResolver::QueryId query_ = 0;
};

class DnsCheck final : public Check {
 public:
  DnsCheck(CheckEnv env, std::shared_ptr<const DnsSpec> spec) : env_(env), spec_(std::move(spec)) {}
  std::unique_ptr<CheckRun> start(DoneCallback done) const override {
    auto run = std::make_unique<DnsRun>(spec_, std::move(done));
    run->start(env_.resolvers);
    return run;
  }

 private:
  CheckEnv env_;
  std::shared_ptr<const DnsSpec> spec_;
};

}  // namespace

std::variant<std::unique_ptr<Check>, std::string> make_dns_check(CheckEnv env,
                                                                 std::shared_ptr<const config::MonitorConfig> shared) {
  const config::MonitorConfig& monitor = *shared;
  if (monitor.deny_private_addresses) {  // a /probe run: the server asked is the client's choice
    for (const auto& server : monitor.request->dns_servers) {
      if (is_non_public_address(io::AresResolver::server_host(server)))
        return "DNS server " + server + " is not a public address (deny_private_addresses)";
    }
  }
  auto spec = std::make_shared<DnsSpec>(std::move(shared));
  auto type = dns_type_from_name(monitor.request->record);
  if (!type) return "unsupported record type '" + monitor.request->record + "'";
  spec->type = *type;
  auto rcode = dns_rcode_from_name(monitor.dns_expect->rcode.value_or("NOERROR"));
  if (!rcode) return "unknown rcode '" + monitor.dns_expect->rcode.value_or("") + "'";
  spec->expected_rcode = *rcode;
  for (const auto& p : monitor.dns_expect->answers_regex) {
    auto compiled = compile_pattern(p);
    if (auto* error = std::get_if<std::string>(&compiled)) return "answers_regex '" + p + "': " + *error;
    spec->answer_patterns.push_back(std::get<Pattern>(std::move(compiled)));
  }
  return std::make_unique<DnsCheck>(env, std::move(spec));
}

CheckResult DnsRun::base_result() const {
  CheckResult r;
  r.monitor = monitor_.name;
  r.type = "dns";
  r.target = monitor_.target;
  r.started_at = started_at_;
  r.dns.question = monitor_.target + " " + monitor_.request->record;
  if (resolver_) r.dns.server = resolver_->servers();
  return r;
}

void DnsRun::start(io::ResolverPool& resolvers) {
  io::ResolverOptions options;
  options.servers = monitor_.request->dns_servers;
  options.use_tcp = monitor_.transport == config::DnsTransport::kTcp;
  // One try (a retry would hide a lossy server) that outlasts the run: the deadline armed by
  // the caller decides when to give up, so a timeout is classified in one place.
  options.tries = 1;
  options.try_timeout = monitor_.timeout + std::chrono::seconds(1);
  auto resolver = resolvers.get(options);
  if (auto* error = std::get_if<std::string>(&resolver)) {
    CheckResult r = base_result();
    r.failure = internal_error(Phase::kDns);
    r.detail = *error;
    if (auto done = std::move(done_)) done({std::move(r)});
    return;
  }
  resolver_ = std::get<std::shared_ptr<io::AresResolver>>(std::move(resolver));
  query_ = resolver_->query(monitor_.target, spec_->type, [this](io::DnsReply reply) { on_reply(std::move(reply)); });
}

void DnsRun::on_reply(io::DnsReply reply) {
  query_ = 0;
  CheckResult r = base_result();
  r.timings.dns = since(started_ns_);
  r.timings.total = r.timings.dns;
  if (reply.status != ARES_SUCCESS) {
    r.failure = classify_dns(reply.status, 0, false, reply.unusable.has_value());
    r.detail = reply.unusable
                   ? "the server sent " + *reply.unusable
                   : std::string("no answer from ") + resolver_->servers() + ": " + ares_strerror(reply.status);
  } else {
    auto parsed = parse_dns_message(reply.answer.data(), reply.answer.size());
    if (auto* error = std::get_if<std::string>(&parsed)) {
      r.failure = classify_dns(ARES_EBADRESP, 0, false);
      r.detail = *error;
    } else {
      const auto& message = std::get<DnsMessage>(parsed);
      r.dns.rcode = dns_rcode_name(message.rcode);
      for (const auto& record : message.answers) {
        r.dns.answers.push_back(record.type == spec_->type ? record.data
                                                           : dns_type_name(record.type) + " " + record.data);
        r.dns.ttls.push_back(record.ttl);
      }
      bool has_wanted = false;
      for (const auto& record : message.answers) has_wanted = has_wanted || record.type == spec_->type;
      if (message.rcode != spec_->expected_rcode) {
        // Against the usual NOERROR expectation the rcode itself names the failure
        // (dns_nxdomain, dns_servfail, ...); against another expectation it is a mismatch.
        r.failure = spec_->expected_rcode == 0 ? classify_dns(ARES_SUCCESS, message.rcode, true)
                                               : classify_validation(Validator::kDnsRcode);
        r.detail = "rcode " + dns_rcode_name(message.rcode) + ", expected " + dns_rcode_name(spec_->expected_rcode);
      } else if (spec_->expected_rcode == 0 && !has_wanted) {
        r.failure = classify_dns(ARES_SUCCESS, message.rcode, false);
        r.detail = "NOERROR with no " + monitor_.request->record + " record (NODATA)";
      }
      for (const auto& pattern : spec_->answer_patterns) {
        if (r.failure.failure_class != FailureClass::kOk) break;
        bool matched = false;
        for (const auto& answer : r.dns.answers) matched = matched || re2::RE2::PartialMatch(answer, *pattern);
        if (!matched) {
          r.failure = classify_validation(Validator::kDnsAnswer);
          r.detail =
              "no answer matches /" + pattern->pattern() + "/ (" + std::to_string(r.dns.answers.size()) + " answers)";
        }
      }
    }
  }
  if (auto done = std::move(done_)) done({std::move(r)});
}

std::vector<CheckResult> DnsRun::cancel() noexcept {
  std::vector<CheckResult> out;
  if (!done_) return out;
  done_ = nullptr;
  std::optional<std::string> unusable;
  if (query_ && resolver_) {
    unusable = resolver_->unusable_reply(query_);
    resolver_->cancel(query_);
  }
  query_ = 0;
  CheckResult r = base_result();
  r.failure = unusable ? classify_dns(ARES_ETIMEOUT, 0, false, true) : classify_timeout(Phase::kDns);
  r.detail = unusable ? "the server sent " + *unusable
                      : "no answer from " + (resolver_ ? resolver_->servers() : std::string("the resolver")) +
                            " before the deadline";
  r.deadline_hit = true;
  out.push_back(std::move(r));
  return out;
}

}  // namespace prober::checks
