#include "checks/connect_check.h"

#include "checks/address_lookup.h"
#include "checks/aia_fetch.h"
#include "checks/validators.h"

namespace prober::checks {
namespace {

class ConnectProbe final : public Probe {
 public:
  ConnectProbe(CheckEnv env, std::shared_ptr<const TargetSpec> spec, CheckResult base, Finish finish)
      : env_(env), spec_(std::move(spec)), result_(std::move(base)), finish_(std::move(finish)) {}

  void start() override {
    TransferRequest request;
    request.url = target_.url;
    request.host = target_.host;
    request.port = target_.port;
    request.address = is_ip_literal(target_.host) ? "" : result_.address;
    request.uses_tls = monitor_.type == config::CheckType::kTls;
    const auto& server_name = monitor_.tls->server_name;
    if (request.uses_tls && server_name) use_server_name(request, target_, *server_name, result_.address);
    request.connect_only = true;
    request.tls = monitor_.tls;
    transfer_ = std::make_unique<CurlTransfer>(std::move(request));
    if (auto refused = transfer_->start(env_, [this](TransferReport r) { on_transfer(std::move(r)); })) {
      on_transfer(std::move(*refused));
    }
  }

  CheckResult abort() noexcept override {
    finish_ = nullptr;
    if (auto waiting = issuer_.abandon()) {  // the deadline came during an AIA fetch
      apply_transfer(result_, *waiting);
    } else if (transfer_) {
      TransferReport report = transfer_->abort();
      apply_transfer(result_, report);
      result_.failure = classify_timeout(phase_in_progress(report.outcome));
      result_.detail = "deadline reached";
    }
    return std::move(result_);
  }

 private:
  // A chain that stops short is settled by an AIA fetch first, as a browser would.
  void on_transfer(TransferReport report) {
    issuer_.settle(std::move(report), [this](TransferReport settled) { on_settled_transfer(std::move(settled)); });
  }

  void on_settled_transfer(TransferReport report) {
    apply_transfer(result_, report);
    if (result_.failure.failure_class == FailureClass::kOk && report.outcome.uses_tls) {
      auto verdict = worse(validate_cert_expiry(monitor_.expect->cert_expiry, result_.tls, unix_now()),
                           validate_tls_hygiene(monitor_.expect->tls_hygiene_ignore, result_.tls));
      if (verdict) {
        result_.failure = verdict->failure;
        result_.detail = verdict->detail;
      }
    }
    transfer_.reset();  // as HttpProbe: the curl handle goes back now, not at the next run
    if (auto finish = std::move(finish_)) finish(std::move(result_));
  }

  CheckEnv env_;
  std::shared_ptr<const TargetSpec> spec_;
  const config::MonitorConfig& monitor_ = spec_->monitor();
  const ParsedUrl target_ = spec_->target();
  CheckResult result_;
  Finish finish_;
  std::unique_ptr<CurlTransfer> transfer_;
  IssuerCompletion issuer_{env_, spec_->policy, monitor_};
};

class ConnectProbes final : public ProbeFactory {
 public:
  // A tcp or tls check holds no time against a threshold: the hold-ups are the scheduler's alone.
  std::unique_ptr<Probe> make(const CheckEnv& env, const std::shared_ptr<const TargetSpec>& spec, CheckResult base,
                              std::chrono::milliseconds /*held_at_start*/, Probe::Finish finish) const override {
    return std::make_unique<ConnectProbe>(env, spec, std::move(base), std::move(finish));
  }
};

}  // namespace

std::variant<std::unique_ptr<Check>, std::string> make_connect_check(
    CheckEnv env, std::shared_ptr<const config::MonitorConfig> monitor) {
  // A tcp check: curl connects to an http:// URL and stops there (CONNECT_ONLY). A tls check: the
  // TLS tunnel connects and runs the handshake, and no curl transfer follows.
  auto target = parse_host_port(monitor->target, monitor->type == config::CheckType::kTls ? "https" : "http");
  if (auto* error = std::get_if<std::string>(&target)) return *error;
  auto made = make_target_spec(std::move(monitor), std::get<ParsedUrl>(target));
  if (auto* error = std::get_if<std::string>(&made)) return *error;
  auto spec = std::get<std::shared_ptr<const TargetSpec>>(std::move(made));
  // Nothing beyond the spec: one factory for every tcp and tls check.
  static const auto probes = std::make_shared<const ConnectProbes>();
  return std::make_unique<TargetCheck>(env, spec, probes);
}

}  // namespace prober::checks
