#include "checks/http_check.h"

#include <set>

#include "checks/address_lookup.h"
#include "checks/aia_fetch.h"
#include "checks/compiled_expects.h"
#include "checks/http_probes.h"
#include "checks/text.h"
#include "checks/timings.h"
#include "checks/validators.h"

namespace prober::checks {
namespace {

bool same_origin(const ParsedUrl& a, const TargetSpec& b) {
  return a.scheme == b.scheme() && iequals(a.host, b.host()) && a.port == b.port();
}

std::vector<std::pair<std::string, std::string>> headers_for_other_origin(const config::MonitorConfig& monitor) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : monitor.request->headers) {
    bool secret = iequals(name, "authorization") || iequals(name, "proxy-authorization") || iequals(name, "cookie");
    for (const auto& s : monitor.request->secret_headers) secret = secret || iequals(name, s.name);
    if (!secret) out.emplace_back(name, value);
  }
  return out;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

class HttpProbe final : public Probe {
 public:
  HttpProbe(CheckEnv env, std::shared_ptr<const TargetSpec> spec, const CompiledHttpExpect& expect, CheckResult base,
            std::chrono::milliseconds held_at_start, Finish finish)
      : env_(env),
        spec_(std::move(spec)),
        expect_(expect),
        url_(spec_->target()),
        result_(std::move(base)),
        finish_(std::move(finish)),
        method_(monitor_.request->method),
        body_(monitor_.request->body),
        held_at_start_(held_at_start) {
    address_ = result_.address;
    address_host_ = url_.host;
    first_host_ = url_.host;
    first_url_ = url_.url;
  }

  void start() override {
    visited_.insert(url_.url);
    start_hop();
  }

  CheckResult abort() noexcept override {
    finish_ = nullptr;
    if (lookup_) {
      auto unusable = lookup_->unusable_reply();
      lookup_.reset();
      result_.failure = unusable ? classify_dns(ARES_ETIMEOUT, 0, false, true) : classify_timeout(Phase::kDns);
      result_.detail = unusable ? "the server sent " + *unusable
                                : "no DNS answer for redirect target " + url_.host + " before the deadline";
    } else if (auto waiting = issuer_.abandon()) {  // the deadline came during an AIA fetch
      absorb(*waiting);
    } else if (transfer_) {
      TransferReport report = transfer_->abort();
      transfer_.reset();
      absorb(report);
      result_.failure = classify_timeout(phase_in_progress(report.outcome), report.outcome.headers_received);
      result_.detail = "deadline reached";
    }
    fill_http_facts();
    return std::move(result_);
  }

 private:
  // Connect the next hop: same host stays on the probed address, another host is resolved,
  // keeping the address family of the probe.
  void start_hop() {
    if (url_.host == address_host_ || is_ip_literal(url_.host)) {
      if (is_ip_literal(url_.host)) {
        if (refuse_hop_address(url_.host)) return;
        address_ = url_.host;
      }
      address_host_ = url_.host;
      send();
      return;
    }
    io::ResolverOptions options;
    options.servers = monitor_.request->dns_servers;
    auto resolver = env_.resolvers.get(options);
    if (auto* error = std::get_if<std::string>(&resolver)) {
      end_with(internal_error(Phase::kDns), *error);
      return;
    }
    auto family = ip_version_of(address_) == 6 ? config::IpVersion::kV6 : config::IpVersion::kV4;
    // A fresh lookup per hop: nothing of an earlier hop's answers can leak into this one.
    lookup_ = std::make_unique<AddressLookup>(std::get<std::shared_ptr<io::AresResolver>>(std::move(resolver)),
                                              url_.host, family);
    auto immediate = lookup_->start([this](AddressLookupResult r) { on_hop_address(std::move(r)); });
    if (immediate) on_hop_address(std::move(*immediate));
  }

  void on_hop_address(AddressLookupResult lookup) {
    lookup_.reset();
    result_.timings.dns = result_.timings.dns.value_or(Micros(0)) + lookup.duration;
    result_.timings.total = result_.timings.total.value_or(Micros(0)) + lookup.duration;
    if (lookup.failure.failure_class != FailureClass::kOk) {
      result_.dns = lookup.dns;
      end_with(lookup.failure, "redirect to " + url_.url + ": " + lookup.detail);
      return;
    }
    if (refuse_hop_address(lookup.addresses.front())) return;
    address_ = lookup.addresses.front();
    address_host_ = url_.host;
    send();
  }

  void send() {
    TransferRequest request;
    request.url = url_.url;
    request.host = url_.host;
    request.port = url_.port;
    request.address = is_ip_literal(url_.host) ? "" : address_;
    request.uses_tls = url_.scheme == "https";
    const auto& server_name = monitor_.tls->server_name;
    if (request.uses_tls && server_name && url_.host == first_host_) {
      use_server_name(request, url_, *server_name, address_);  // redirects elsewhere keep their host
    }
    request.method = method_;
    // Credentials stay with their origin, as curl and browsers do: a hop to another scheme, host
    // or port (https -> http included) gets no secret header, Authorization or Cookie.
    request.headers = same_origin(url_, *spec_) ? monitor_.request->headers : headers_for_other_origin(monitor_);
    request.body = body_;
    request.tls = monitor_.tls;
    request.max_body_bytes = monitor_.max_body_bytes;
    request.keep_body_bytes = expect_.needs_body() ? monitor_.max_body_bytes : 0;
    transfer_ = std::make_unique<CurlTransfer>(std::move(request));
    if (auto refused = transfer_->start(env_, [this](TransferReport r) { on_transfer(std::move(r)); })) {
      on_transfer(std::move(*refused));
    }
  }

  Micros held_up_since_start() const {
    return env_.hold_ups ? std::chrono::duration_cast<Micros>(env_.hold_ups->held_up() - held_at_start_) : Micros(0);
  }

  // What a hop's transfer found, whether it finished or was cut off at the deadline.
  void absorb(TransferReport& report) {
    apply_transfer(result_, report);
    result_.http.status = report.status ? std::optional<int>(report.status) : std::nullopt;
    if (!report.http_version.empty()) result_.http.version = report.http_version;
    result_.http.headers = std::move(report.headers);
    result_.http.body_bytes = report.body_bytes;
    result_.http.content_length = report.content_length;
  }

  // A chain that stops short is settled by an AIA fetch first, as a browser would.
  void on_transfer(TransferReport report) {
    issuer_.settle(std::move(report), [this](TransferReport settled) { on_settled_transfer(std::move(settled)); });
  }

  void on_settled_transfer(TransferReport report) {
    absorb(report);
    if (report.outcome.uses_tls && report.outcome.tls_done) {
      expiry_ = worse(expiry_, validate_cert_expiry(expect_.config->cert_expiry, result_.tls, unix_now()));
      expiry_ = worse(expiry_, validate_tls_hygiene(expect_.config->tls_hygiene_ignore, result_.tls));
    }
    if (result_.failure.failure_class != FailureClass::kOk) {
      // Keep the transfer alive until we leave its callback; it is replaced or dropped later.
      end(report.outcome.body_too_large
              ? "body exceeds " + std::to_string(monitor_.max_body_bytes) + " bytes; stopped reading there"
              : result_.detail);
      return;
    }
    if (monitor_.follow_redirects && is_redirect(report.status) && !report.redirect_url.empty()) {
      follow(report);
      return;
    }
    result_.http.final_url = url_.url;
    auto verdict = validate_response(expect_, result_.http, report.body);
    if (!verdict || verdict->failure.severity != Severity::kCritical) {
      verdict = worse(worse(verdict, expiry_),
                      validate_latency(expect_.config->response_time_ms, result_.timings, held_up_since_start()));
      verdict = worse(verdict, validate_scheme(expect_.config->downgrade, first_url_, url_.url));
    }
    if (verdict) {
      result_.failure = verdict->failure;
      result_.detail = verdict->detail;
    }
    end(result_.detail);
  }

  void follow(const TransferReport& report) {
    RedirectHop hop;
    hop.url = url_.url;
    hop.address = address_;
    hop.status = report.status;
    hop.location = report.redirect_url;
    hop.timings = transfer_timings(report.times, report.outcome.uses_tls);
    result_.http.redirects.push_back(std::move(hop));
    auto next = parse_url(report.redirect_url);
    if (auto* error = std::get_if<std::string>(&next)) {
      end_with(Failure{FailureClass::kHttpProtocolError, Phase::kHttp, Severity::kCritical, false},
               "redirect to an unusable location: " + *error);
      return;
    }
    ParsedUrl target = std::get<ParsedUrl>(next);
    if (auto refused = spec_->policy->refuse_url(target.url)) {
      end_with(internal_error(Phase::kHttp), "redirect refused: " + *refused);
      return;
    }
    if (visited_.count(target.url)) {
      end_with(classify_validation(Validator::kRedirectLoop),
               "redirect loop: " + url_.url + " -> " + target.url + " was already visited");
      return;
    }
    if (static_cast<int>(result_.http.redirects.size()) > monitor_.max_redirects) {
      end_with(classify_validation(Validator::kTooManyRedirects),
               "more than " + std::to_string(monitor_.max_redirects) + " redirects");
      return;
    }
    // Browsers turn a redirected POST into a GET (always for 303, by custom for 301/302).
    if (report.status == 303 || ((report.status == 301 || report.status == 302) && method_ == "POST")) {
      method_ = "GET";
      body_.reset();
    }
    visited_.insert(target.url);
    url_ = std::move(target);
    transfer_.reset();
    start_hop();
  }

  // Ends the probe when the destination policy refuses a redirect hop's address.
  bool refuse_hop_address(const std::string& address) {
    auto refused = spec_->policy->refuse_address(address);
    if (refused) end_with(internal_error(Phase::kConnect), "redirect to " + url_.url + " refused: " + *refused);
    return refused.has_value();
  }

  void end_with(Failure failure, std::string detail) {
    result_.failure = failure;
    end(std::move(detail));
  }

  void end(std::string detail) {
    result_.detail = std::move(detail);
    fill_http_facts();
    release_transfers();
    if (auto finish = std::move(finish_)) finish(std::move(result_));
  }

  // A finished transfer holds a curl handle and its receive buffer: give them back now rather
  // than at the monitor's next run. Safe inside the transfer's own completion (the driver holds
  // the callback and curl has already let go of the handle).
  void release_transfers() { transfer_.reset(); }

  void fill_http_facts() {
    if (result_.http.redirects.size() > 0 && !result_.http.final_url) result_.http.final_url = url_.url;
    result_.address = address_;
    result_.ip_version = ip_version_of(address_);
    result_.port = url_.port;
  }

  CheckEnv env_;
  std::shared_ptr<const TargetSpec> spec_;
  // The run that made this probe holds its factory, which holds the expectation (http_probes.h).
  const CompiledHttpExpect& expect_;
  const config::MonitorConfig& monitor_ = spec_->monitor();
  ParsedUrl url_;
  CheckResult result_;
  Finish finish_;
  std::string method_;
  std::optional<std::string> body_;
  std::string address_;
  std::string address_host_;
  std::string first_host_;
  std::string first_url_;
  IssuerCompletion issuer_{env_, spec_->policy, monitor_};
  std::set<std::string> visited_;
  std::optional<Verdict> expiry_;
  std::chrono::milliseconds held_at_start_;  // the agent's hold-ups when the run began (before its lookup)
  std::unique_ptr<AddressLookup> lookup_;    // while a redirect target is resolved
  std::unique_ptr<CurlTransfer> transfer_;   // while a hop is sent; declared last, stopped first
};

}  // namespace

std::unique_ptr<Probe> HttpProbes::make(const CheckEnv& env, const std::shared_ptr<const TargetSpec>& spec,
                                        CheckResult base, std::chrono::milliseconds held_at_start,
                                        Probe::Finish finish) const {
  return std::make_unique<HttpProbe>(env, spec, expect_, std::move(base), held_at_start, std::move(finish));
}

std::variant<std::unique_ptr<Check>, std::string> make_http_check(
    CheckEnv env, std::shared_ptr<const config::MonitorConfig> monitor) {
  auto url = parse_url(monitor->target);
  if (auto* error = std::get_if<std::string>(&url)) return *error;
  CompiledExpects own;  // without the environment's: this check's alone
  auto expect = (env.expects ? *env.expects : own).get(monitor->expect.shared());
  if (auto* error = std::get_if<std::string>(&expect)) return *error;
  auto made = make_target_spec(std::move(monitor), std::get<ParsedUrl>(url));
  if (auto* error = std::get_if<std::string>(&made)) return *error;
  auto spec = std::get<std::shared_ptr<const TargetSpec>>(std::move(made));
  return std::make_unique<TargetCheck>(env, spec, std::get<CompiledExpects::Compiled>(std::move(expect)));
}

}  // namespace prober::checks
