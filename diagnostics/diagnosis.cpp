#include "diagnostics/diagnosis.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdint>

#include "diagnostics/authoritative_dns.h"
#include "diagnostics/browser_retry.h"
#include "diagnostics/path_trace.h"
#include "diagnostics/tls_hellos.h"

namespace prober::diagnostics {

Diagnosis::Diagnosis(uv_loop_t* loop, checks::CheckEnv env, const config::MonitorConfig& monitor,
                     checks::CheckResult result, const Plan& plan, DiagnosisLimits limits)
    : loop_(loop),
      env_(env),
      monitor_(monitor),
      result_(std::move(result)),
      plan_(plan),
      limits_(limits),
      deadline_(loop) {}

Diagnosis::~Diagnosis() {
  done_ = nullptr;
  steps_.clear();
}

void Diagnosis::start(Done done) {
  done_ = std::move(done);
  // Each step gets most of the deadline for its own waits, so it can still say what it saw.
  auto wait = std::max(std::chrono::milliseconds(200), limits_.timeout * 8 / 10);
  auto per_query = std::min(std::chrono::milliseconds(2000), wait / 3);
  if (plan_.dns_name) {
    io::ResolverOptions options;
    options.servers = monitor_.request->dns_servers;
    options.use_tcp = monitor_.type == config::CheckType::kDns && monitor_.transport == config::DnsTransport::kTcp;
    options.try_timeout = per_query;
    options.tries = 1;
    auto resolver = env_.resolvers.get(options);
    auto* r = std::get_if<std::shared_ptr<io::AresResolver>>(&resolver);
    // A name the hosts file answers ("localhost") was never asked of DNS: nothing to diagnose there.
    if (r && (*r)->hosts_file_addresses(*plan_.dns_name, AF_INET).empty() &&
        (*r)->hosts_file_addresses(*plan_.dns_name, AF_INET6).empty()) {
      steps_.push_back(std::make_unique<AuthoritativeDns>(loop_, *r, *plan_.dns_name, plan_.dns_type,
                                                          result_.failure.phase == checks::Phase::kDns, per_query));
    }
  }
  if (plan_.path) {
    steps_.push_back(std::make_unique<PathTrace>(loop_, result_.address, result_.port, result_.failure.failure_class,
                                                 limits_.max_hops, std::min(wait, std::chrono::milliseconds(3000))));
  }
  if (plan_.tls)
    steps_.push_back(std::make_unique<TlsHellos>(loop_, result_.address, result_.port, plan_.server_name, wait));
  if (plan_.http) steps_.push_back(std::make_unique<BrowserRetry>(loop_, env_, monitor_, result_, wait));
  found_.assign(steps_.size(), std::nullopt);
  pending_ = steps_.size();
  deadline_.start(static_cast<std::uint64_t>(limits_.timeout.count()), 0, [this] { finish(); });
  if (steps_.empty()) {
    deadline_.start(0, 0);
    return;
  }
  for (std::size_t i = 0; i < steps_.size(); ++i)
    steps_[i]->start([this, i](checks::Diagnostic d) { step_done(i, std::move(d)); });
}

void Diagnosis::step_done(std::size_t index, checks::Diagnostic d) {
  found_[index] = std::move(d);
  if (--pending_ == 0) deadline_.start(0, 0);  // finish from the loop, outside the step's callback
}

void Diagnosis::finish() {
  std::vector<checks::Diagnostic> out;
  out.reserve(steps_.size());
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const auto& found = found_[i];
    out.push_back(found ? *found : steps_[i]->cut_short());
  }
  auto done = std::move(done_);
  if (done) done(std::move(out));
}

}  // namespace prober::diagnostics
