#include "checks/target_check.h"

#include <ctime>

#include "checks/address_lookup.h"
#include "checks/timings.h"
#include "checks/tls_contexts.h"
#include "config/enum_names.h"

namespace prober::checks {
namespace {

// One run of a target check: its lookup, its probes and their results live here and die here.
class TargetRun final : public CheckRun {
 public:
  TargetRun(CheckEnv env, std::shared_ptr<const TargetSpec> spec, std::shared_ptr<const ProbeFactory> factory,
            DoneCallback done)
      : env_(env),
        spec_(std::move(spec)),
        factory_(std::move(factory)),
        done_(std::move(done)),
        started_at_(std::chrono::system_clock::now()) {}

  ~TargetRun() override { done_ = nullptr; }

  void start() {
    if (env_.hold_ups) held_at_start_ = env_.hold_ups->held_up();
    io::ResolverOptions options;
    options.servers = spec_->monitor().request->dns_servers;
    auto resolver = env_.resolvers.get(options);
    if (auto* error = std::get_if<std::string>(&resolver)) {
      CheckResult r = base_result(spec_->monitor(), started_at_);
      r.failure = internal_error(Phase::kDns);
      r.detail = *error;
      finish({std::move(r)});
      return;
    }
    auto& shared = std::get<std::shared_ptr<io::AresResolver>>(resolver);
    dns_server_ = shared->servers();
    lookup_ =
        std::make_unique<AddressLookup>(std::move(shared), std::string(spec_->host()), spec_->monitor().ip_version);
    auto immediate = lookup_->start([this](AddressLookupResult result) { on_addresses(std::move(result)); });
    if (immediate) on_addresses(std::move(*immediate));
  }

  std::vector<CheckResult> cancel() noexcept override {
    std::vector<CheckResult> out;
    if (!done_) return out;  // finished or cancelled already
    done_ = nullptr;
    if (lookup_) {
      auto unusable = lookup_->unusable_reply();
      lookup_.reset();
      CheckResult r = base_result(spec_->monitor(), started_at_);
      r.failure = unusable ? classify_dns(ARES_ETIMEOUT, 0, false, true) : classify_timeout(Phase::kDns);
      r.detail = unusable ? "the server sent " + *unusable
                          : "no DNS answer for " + std::string(spec_->host()) + " before the deadline";
      r.dns.server = dns_server_;
      r.dns.question = std::string(spec_->host()) + " " + std::string(lookup_question(spec_->monitor().ip_version));
      r.deadline_hit = true;
      out.push_back(std::move(r));
      return out;
    }
    for (std::size_t i = 0; i < probes_.size(); ++i) {
      if (std::optional<CheckResult>& done = results_[i]) {
        out.push_back(std::move(*done));
      } else {
        out.push_back(probes_[i]->abort());
        out.back().deadline_hit = true;
      }
    }
    probes_.clear();
    results_.clear();
    return out;
  }

 private:
  void on_addresses(AddressLookupResult lookup) {
    lookup_.reset();  // safe: the lookup touches nothing of its own after calling back
    if (lookup.failure.failure_class != FailureClass::kOk) {
      CheckResult r = base_result(spec_->monitor(), started_at_);
      r.failure = lookup.failure;
      r.detail = lookup.detail;
      r.dns = lookup.dns;
      r.timings.dns = lookup.duration;
      r.timings.total = lookup.duration;
      finish({std::move(r)});
      return;
    }
    pending_ = lookup.addresses.size();
    results_.resize(pending_);
    for (std::size_t i = 0; i < lookup.addresses.size(); ++i) {
      CheckResult base = base_result(spec_->monitor(), started_at_);
      base.address = lookup.addresses[i];
      base.ip_version = ip_version_of(base.address);
      base.port = spec_->port();
      base.dns = lookup.dns;
      if (lookup.duration.count() > 0 || !lookup.dns.answers.empty()) {
        base.timings.dns = lookup.duration;
        base.timings.total = lookup.duration;  // hop totals are added on top
      }
      if (auto refused = spec_->policy->refuse_address(base.address)) {
        base.failure = internal_error(Phase::kConnect);
        base.detail = "refused: " + *refused;
        results_[i] = std::move(base);
        --pending_;
        probes_.push_back(nullptr);  // nothing to run for this address
        continue;
      }
      probes_.push_back(factory_->make(env_, spec_, std::move(base), held_at_start_,
                                       [this, i](CheckResult r) { on_probe_done(i, std::move(r)); }));
    }
    if (pending_ == 0) {  // every address refused: each has its result already
      pending_ = 1;
      std::optional<CheckResult>& first = results_[0];
      if (first) on_probe_done(0, std::move(*first));
      return;
    }
    // Start after all exist: a probe may finish synchronously when curl refuses it.
    for (auto& probe : probes_) {
      if (probe) probe->start();
    }
  }

  void on_probe_done(std::size_t index, CheckResult result) {
    results_[index] = std::move(result);
    if (--pending_ > 0) return;
    std::vector<CheckResult> out;
    out.reserve(results_.size());
    for (auto& r : results_) {
      if (r) out.push_back(std::move(*r));  // all are set once none is pending
    }
    results_.clear();
    finish(std::move(out));
  }

  void finish(std::vector<CheckResult> results) {
    if (auto done = std::move(done_)) done(std::move(results));
  }

  CheckEnv env_;
  std::shared_ptr<const TargetSpec> spec_;
  std::shared_ptr<const ProbeFactory> factory_;
  DoneCallback done_;
  std::chrono::system_clock::time_point started_at_;
  std::chrono::milliseconds held_at_start_{0};  // the agent's hold-ups before the address lookup
  std::string dns_server_;
  std::unique_ptr<AddressLookup> lookup_;  // while resolving
  std::vector<std::optional<CheckResult>> results_;
  std::size_t pending_ = 0;
  std::vector<std::unique_ptr<Probe>> probes_;  // declared last: destroyed first, stopping their I/O
};

}  // namespace

TargetCheck::TargetCheck(CheckEnv env, std::shared_ptr<const TargetSpec> spec,
                         std::shared_ptr<const ProbeFactory> probes)
    : env_(env), spec_(std::move(spec)), probes_(std::move(probes)) {}

std::unique_ptr<CheckRun> TargetCheck::start(DoneCallback done) const {
  auto run = std::make_unique<TargetRun>(env_, spec_, probes_, std::move(done));
  run->start();
  return run;
}

std::variant<std::shared_ptr<const TargetSpec>, std::string> make_target_spec(
    std::shared_ptr<const config::MonitorConfig> monitor, const ParsedUrl& target) {
  auto policy = DestinationPolicy::create(*monitor);
  if (auto* error = std::get_if<std::string>(&policy)) return *error;
  if (const auto& groups = monitor->tls->groups) {
    if (auto error = tls_groups_error(*groups)) return "tls.groups: " + *error;
  }
  return std::make_shared<const TargetSpec>(std::move(monitor), target,
                                            std::get<std::shared_ptr<const DestinationPolicy>>(std::move(policy)));
}

TargetSpec::TargetSpec(std::shared_ptr<const config::MonitorConfig> monitor, const ParsedUrl& target,
                       std::shared_ptr<const DestinationPolicy> destinations)
    : shared_monitor(std::move(monitor)),
      policy(std::move(destinations)),
      url_size_(static_cast<std::uint32_t>(target.url.size())),
      port_(static_cast<std::uint16_t>(target.port)),
      https_(target.scheme == "https") {
  const std::string& written = shared_monitor->target;
  std::string_view url = target.url;
  // The host in the authority (after "scheme://"), without an IPv6 address's brackets.
  std::size_t authority = std::min(url.size(), target.scheme.size() + 3);
  std::size_t at = url.find(target.host, authority);
  bool own_url = url != written;
  if (at == std::string_view::npos) {  // never for what parse_url gives: kept apart, then
    own_text_ = std::make_unique<const std::string>(target.url + target.host);
    at = target.url.size();
  } else if (own_url) {
    own_text_ = std::make_unique<const std::string>(target.url);
  }
  host_at_ = static_cast<std::uint32_t>(at);
  host_size_ = static_cast<std::uint32_t>(target.host.size());
}

ParsedUrl TargetSpec::target() const {
  ParsedUrl out;
  out.url = url();
  out.scheme = scheme();
  out.host = host();
  out.port = port_;
  return out;
}

CheckResult base_result(const config::MonitorConfig& monitor, std::chrono::system_clock::time_point started_at) {
  CheckResult r;
  r.monitor = monitor.name;
  r.type = std::string(config::to_string(monitor.type));
  r.target = monitor.target;
  r.started_at = started_at;
  return r;
}

void apply_transfer(CheckResult& result, TransferReport& report) {
  Timings hop = transfer_timings(report.times, report.outcome.uses_tls);
  hop.dns = std::nullopt;
  result.timings = add(result.timings, hop);
  if (report.outcome.uses_tls) result.tls = std::move(report.tls);
  result.failure = classify_transfer(report.outcome);
  if (result.failure.failure_class != FailureClass::kOk) result.detail = report.error_text;
}

void use_server_name(TransferRequest& request, const ParsedUrl& url, const std::string& server_name,
                     const std::string& address) {
  request.url = with_host(url, server_name);
  request.host = server_name;
  request.address = address;
}

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace prober::checks
