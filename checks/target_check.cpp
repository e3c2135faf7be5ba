#include "checks/target_check.h"

#include <ctime>

#include "checks/timings.h"

namespace prober::checks {

TargetCheck::TargetCheck(config::MonitorConfig monitor, ParsedUrl target)
    : monitor_(std::move(monitor)), target_(std::move(target)) {}

CheckResult TargetCheck::base_result() const {
  CheckResult r;
  r.monitor = monitor_.name;
  switch (monitor_.type) {
    case config::CheckType::kHttp: r.type = "http"; break;
    case config::CheckType::kTls: r.type = "tls"; break;
    case config::CheckType::kTcp: r.type = "tcp"; break;
    case config::CheckType::kDns: r.type = "dns"; break;
  }
  r.target = monitor_.target;
  r.started_at = started_at_;
  return r;
}

void TargetCheck::start(RunContext& ctx, DoneCallback done) {
  ctx_ = &ctx;
  done_ = std::move(done);
  started_at_ = std::chrono::system_clock::now();
  probes_.clear();
  results_.clear();
  io::ResolverOptions options;
  options.servers = monitor_.dns_servers;
  auto resolver = ctx.resolvers.get(options);
  if (auto* error = std::get_if<std::string>(&resolver)) {
    CheckResult r = base_result();
    r.failure = internal_error(Phase::kDns);
    r.detail = *error;
    auto done_now = std::move(done_);
    done_now({std::move(r)});
    return;
  }
  looking_up_ = true;
  auto immediate = lookup_.start(*std::get<io::AresResolver*>(resolver), target_.host, monitor_.ip_version,
                                 [this](AddressLookupResult result) { on_addresses(std::move(result)); });
  if (immediate) on_addresses(std::move(*immediate));
}

void TargetCheck::on_addresses(AddressLookupResult lookup) {
  looking_up_ = false;
  addresses_ = std::move(lookup);
  if (addresses_.failure.failure_class != FailureClass::kOk) {
    CheckResult r = base_result();
    r.failure = addresses_.failure;
    r.detail = addresses_.detail;
    r.dns = addresses_.dns;
    r.timings.dns = addresses_.duration;
    r.timings.total = addresses_.duration;
    auto done = std::move(done_);
    done({std::move(r)});
    return;
  }
  pending_ = addresses_.addresses.size();
  results_.resize(pending_);
  for (std::size_t i = 0; i < addresses_.addresses.size(); ++i) {
    CheckResult base = base_result();
    base.address = addresses_.addresses[i];
    base.ip_version = ip_version_of(base.address);
    base.port = target_.port;
    base.dns = addresses_.dns;
    if (addresses_.duration.count() > 0 || !addresses_.dns.answers.empty()) {
      base.timings.dns = addresses_.duration;
      base.timings.total = addresses_.duration;  // hop totals are added on top
    }
    probes_.push_back(make_probe(std::move(base), [this, i](CheckResult r) { on_probe_done(i, std::move(r)); }));
  }
  // Start after all exist: a probe may finish synchronously when curl refuses it.
  for (std::size_t i = 0; i < probes_.size(); ++i) probes_[i]->start(*ctx_);
}

void TargetCheck::on_probe_done(std::size_t index, CheckResult result) {
  results_[index] = std::move(result);
  if (--pending_ > 0) return;
  std::vector<CheckResult> out;
  for (auto& r : results_) out.push_back(std::move(*r));
  results_.clear();
  if (auto done = std::move(done_)) done(std::move(out));
}

std::vector<CheckResult> TargetCheck::cancel() noexcept {
  std::vector<CheckResult> out;
  if (!done_) return out;  // nothing in flight
  done_ = nullptr;
  if (looking_up_) {
    lookup_.cancel();
    looking_up_ = false;
    CheckResult r = base_result();
    r.failure = classify_timeout(Phase::kDns);
    r.detail = "no DNS answer for " + target_.host + " before the deadline";
    r.deadline_hit = true;
    out.push_back(std::move(r));
    return out;
  }
  for (std::size_t i = 0; i < probes_.size(); ++i) {
    if (results_[i]) {
      out.push_back(std::move(*results_[i]));
    } else {
      out.push_back(probes_[i]->abort());
      out.back().deadline_hit = true;
    }
  }
  probes_.clear();
  results_.clear();
  return out;
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
