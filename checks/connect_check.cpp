#include "checks/connect_check.h"

#include "checks/validators.h"

namespace prober::checks {
namespace {

class ConnectProbe final : public Probe {
 public:
  ConnectProbe(const config::MonitorConfig& monitor, const ParsedUrl& target, CheckResult base,
               std::function<void(CheckResult)> finish)
      : monitor_(monitor), target_(target), result_(std::move(base)), finish_(std::move(finish)) {}

  void start(RunContext& ctx) override {
    TransferRequest request;
    request.url = target_.url;
    request.host = target_.host;
    request.port = target_.port;
    request.address = is_ip_literal(target_.host) ? "" : result_.address;
    request.uses_tls = monitor_.type == config::CheckType::kTls;
    if (request.uses_tls && monitor_.tls.server_name) {
      use_server_name(request, target_, *monitor_.tls.server_name, result_.address);
    }
    request.connect_only = true;
    request.tls = monitor_.tls;
    transfer_ = std::make_unique<CurlTransfer>(std::move(request));
    if (auto refused = transfer_->start(ctx.curl, [this](TransferReport r) { on_transfer(std::move(r)); })) {
      on_transfer(std::move(*refused));
    }
  }

  CheckResult abort() noexcept override {
    finish_ = nullptr;
    if (transfer_) {
      TransferReport report = transfer_->abort();
      apply_transfer(result_, report);
      result_.failure = classify_timeout(phase_in_progress(report.outcome));
      result_.detail = "deadline reached";
    }
    return std::move(result_);
  }

 private:
  void on_transfer(TransferReport report) {
    apply_transfer(result_, report);
    if (result_.failure.failure_class == FailureClass::kOk && report.outcome.uses_tls) {
      if (auto verdict = validate_cert_expiry(monitor_.expect.cert_expiry, result_.tls, unix_now())) {
        result_.failure = verdict->failure;
        result_.detail = verdict->detail;
      }
    }
    transfer_.reset();  // as HttpProbe: the curl handle goes back now, not at the next run
    if (auto finish = std::move(finish_)) finish(std::move(result_));
  }

  const config::MonitorConfig& monitor_;
  const ParsedUrl& target_;
  CheckResult result_;
  std::function<void(CheckResult)> finish_;
  std::unique_ptr<CurlTransfer> transfer_;
};

}  // namespace

ConnectCheck::ConnectCheck(config::MonitorConfig monitor, ParsedUrl target)
    : TargetCheck(std::move(monitor), std::move(target)) {}

std::variant<std::unique_ptr<Check>, std::string> ConnectCheck::create(const config::MonitorConfig& monitor) {
  // curl connects to an http(s) URL and stops there (CONNECT_ONLY): https adds the handshake.
  auto target = parse_host_port(monitor.target, monitor.type == config::CheckType::kTls ? "https" : "http");
  if (auto* error = std::get_if<std::string>(&target)) return *error;
  return std::make_unique<ConnectCheck>(monitor, std::get<ParsedUrl>(std::move(target)));
}

std::unique_ptr<Probe> ConnectCheck::make_probe(CheckResult base, Finish finish) {
  return std::make_unique<ConnectProbe>(monitor(), target(), std::move(base), std::move(finish));
}

}  // namespace prober::checks
