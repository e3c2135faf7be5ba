#include "checks/curl_transfer.h"

#include <algorithm>
#include <cctype>

#include <uv.h>

#include "checks/text.h"
#include "io/socket_address.h"

namespace prober::checks {
namespace {

constexpr std::size_t kMaxHeaders = 200;
constexpr std::size_t kMaxHeaderValue = 8192;

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string http_version_text(long version) {
  switch (version) {
    case CURL_HTTP_VERSION_1_0:
      return "1.0";
    case CURL_HTTP_VERSION_1_1:
      return "1.1";
    case CURL_HTTP_VERSION_2_0:
      return "2";
    case CURL_HTTP_VERSION_3:
      return "3";
    default:
      return "";
  }
}

// The request's authority as curl would send it for the https URL: the port only when not 443.
std::string authority(const TransferRequest& request) {
  std::string host = request.host.find(':') != std::string::npos ? "[" + request.host + "]" : request.host;
  return request.port == 443 || request.port == 0 ? host : host + ":" + std::to_string(request.port);
}

// A Location header made absolute against the URL it answered, as curl's CURLINFO_REDIRECT_URL:
// curl itself saw the tunnel's http:// URL, which is not the one redirects are relative to.
std::string absolute_location(const std::string& base, const std::string& location) {
  io::CurlUrlPtr url(curl_url());
  if (!url || curl_url_set(url.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) return "";
  if (curl_url_set(url.get(), CURLUPART_URL, location.c_str(), CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE) !=
      CURLUE_OK) {
    return "";
  }
  char* text = nullptr;
  if (curl_url_get(url.get(), CURLUPART_URL, &text, 0) != CURLUE_OK || !text) return "";
  std::string out(text);
  curl_free(text);
  return out;
}

std::int64_t micros_since(std::uint64_t from_ns, std::uint64_t to_ns) {
  if (from_ns == 0 || to_ns == 0) return 0;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>((to_ns - from_ns) / 1000));
}

}  // namespace

CurlTransfer::CurlTransfer(TransferRequest request) : request_(std::move(request)) {}

CurlTransfer::~CurlTransfer() {
  if (running_) driver_->remove(easy_.get());  // out of the multi before curl_easy_cleanup
}

bool CurlTransfer::configure(const std::string& local_socket) {
  easy_.reset(curl_easy_init());
  CURL* e = easy_.get();
  if (!e) return false;
  bool tunneled = !local_socket.empty();
  // Through the tunnel curl speaks plain HTTP on a local socket: the URL's scheme says so, the
  // Host header (and HTTP/2's :scheme) keep what the server is asked for.
  std::string url = tunneled ? "http" + request_.url.substr(request_.url.find(':')) : request_.url;
  bool ok = curl_easy_setopt(e, CURLOPT_URL, url.c_str()) == CURLE_OK;
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are followed hop by hop by us
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
  // Never a proxy, not even one named by http_proxy/all_proxy in the agent's environment: a check
  // measures the path from this vantage to the address it resolved, and a proxy would answer for a
  // site that is down.
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  if (tunneled) {
    curl_easy_setopt(e, CURLOPT_ABSTRACT_UNIX_SOCKET, local_socket.c_str());
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &CurlTransfer::on_connected);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, this);
    // Reads from a local socket cost little: half curl's default buffer (memory per HTTPS check
    // in flight; the tunnel already holds what curl has not taken).
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 8L * 1024);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     tunnel_->state().h2 ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_1_1);
  } else if (!request_.address.empty()) {
    // Pin the connection to the address we resolved ourselves; curl never resolves.
    bool v6 = request_.address.find(':') != std::string::npos;
    std::string entry = request_.host + ":" + std::to_string(request_.port) + ":" +
                        (v6 ? "[" + request_.address + "]" : request_.address);
    ok = ok && io::append(resolve_, entry.c_str());
    curl_easy_setopt(e, CURLOPT_RESOLVE, resolve_.get());
    // The pin goes into a name cache of this transfer's own: in the multi's shared cache a
    // CURLOPT_RESOLVE entry is kept for good, and every host ever checked (any /probe target)
    // would leave one there (~200 bytes each, measured).
    resolve_cache_.reset(curl_share_init());
    ok = ok && resolve_cache_ &&
         curl_share_setopt(resolve_cache_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK &&
         curl_easy_setopt(e, CURLOPT_SHARE, resolve_cache_.get()) == CURLE_OK;
  }
  if (request_.connect_only) {
    curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &CurlTransfer::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CurlTransfer::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request_.max_body_bytes));
    if (request_.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (request_.method != "GET") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request_.method.c_str());
    }
    if (request_.body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_.body->size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, request_.body->data());
      if (request_.method == "GET") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");
    }
    bool has_user_agent = false;
    bool has_accept_encoding = false;
    bool has_host = false;
    for (const auto& [name, value] : request_.headers) {
      std::string lower(name);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      has_user_agent = has_user_agent || lower == "user-agent";
      has_accept_encoding = has_accept_encoding || lower == "accept-encoding";
      has_host = has_host || lower == "host";
      std::string line = name + (value.empty() ? ";" : ": " + value);
      ok = ok && io::append(header_list_, line.c_str());
    }
    if (!has_user_agent) curl_easy_setopt(e, CURLOPT_USERAGENT, "prober/" PROBER_VERSION_STRING);
    // As browsers (and Go's client in blackbox_exporter) do: ask for compression and decode it,
    // so body checks see the text and a broken encoding fails here as it fails in a browser.
    if (!has_accept_encoding) curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (tunneled && !has_host) ok = ok && io::append(header_list_, ("Host: " + authority(request_)).c_str());
    // curl takes this header as HTTP/2's :scheme (and sends no such header line).
    if (tunneled && tunnel_->state().h2) ok = ok && io::append(header_list_, ":scheme: https");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, header_list_.get());
  }
  return ok;
}

std::optional<TransferReport> CurlTransfer::start(const CheckEnv& env, Done done) {
  driver_ = &env.curl;
  done_ = std::move(done);
  if (!request_.uses_tls) return start_curl("");
  tunnel_ = std::make_unique<TlsTunnel>(driver_->loop(), driver_->sockets(), env.tls, *request_.tls, capture_);
  TunnelTarget target;
  target.address = io::socket_address(request_.address.empty() ? request_.host : request_.address, request_.port);
  target.host = request_.host;
  target.port = request_.port;
  target.verify = !request_.tls->insecure_skip_verify;
  if (!tunnel_->start(std::move(target), [this] { on_handshake(); })) return report(CURLE_OK);
  return std::nullopt;
}

void CurlTransfer::on_handshake() {
  std::string local_socket;
  if (tunnel_->state().code == CURLE_OK && !request_.connect_only) local_socket = tunnel_->listen();
  if (local_socket.empty()) {  // done (a TLS check), failed, or no local socket: the tunnel says which
    if (auto done = std::move(done_)) done(report(CURLE_OK));
    return;
  }
  if (auto refused = start_curl(local_socket)) {
    if (auto done = std::move(done_)) done(std::move(*refused));
  }
}

std::optional<TransferReport> CurlTransfer::start_curl(const std::string& local_socket) {
  if (!configure(local_socket)) {
    TransferReport refused = report(CURLE_FAILED_INIT);
    refused.error_text = "curl refused the request options";
    return refused;
  }
  curl_started_ns_ = uv_hrtime();
  CURLMcode rc = driver_->add(easy_.get(), [this](CURLcode code) {
    running_ = false;
    if (auto done = std::move(done_)) done(report(code));
  });
  if (rc != CURLM_OK) {
    TransferReport refused = report(CURLE_FAILED_INIT);
    refused.error_text = curl_multi_strerror(rc);
    return refused;
  }
  running_ = true;
  return std::nullopt;
}

TransferReport CurlTransfer::abort() noexcept {
  TransferReport out = report(CURLE_OPERATION_TIMEDOUT);
  if (running_) {
    driver_->remove(easy_.get());
    running_ = false;
  }
  return out;
}

std::size_t CurlTransfer::on_header(char* data, std::size_t size, std::size_t count, void* self) noexcept {
  auto* t = static_cast<CurlTransfer*>(self);
  std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after 1xx or a proxy's answer): its headers replace the earlier ones.
    t->headers_received_ = true;
    t->headers_.clear();
    auto space = line.find(' ');
    if (space != std::string_view::npos) t->status_ = std::atoi(std::string(line.substr(space + 1, 3)).c_str());
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos && t->headers_.size() < kMaxHeaders) {
    std::string value = trim(line.substr(colon + 1));
    if (value.size() > kMaxHeaderValue) value.resize(kMaxHeaderValue);
    t->headers_.emplace_back(trim(line.substr(0, colon)), std::move(value));
  }
  return size * count;
}

int CurlTransfer::on_connected(void* self, char*, char*, int, int) noexcept {
  auto* t = static_cast<CurlTransfer*>(self);
  if (t->tunnel_) t->tunnel_->curl_connected();
  return CURL_PREREQFUNC_OK;
}

std::size_t CurlTransfer::on_body(char* data, std::size_t size, std::size_t count, void* self) noexcept {
  auto* t = static_cast<CurlTransfer*>(self);
  std::size_t n = size * count;
  t->body_bytes_ += n;
  if (t->body_bytes_ > t->request_.max_body_bytes) {
    t->body_too_large_ = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR; nothing past the limit is read or kept
  }
  if (t->body_.size() < t->request_.keep_body_bytes) {
    t->body_.append(data, std::min<std::size_t>(n, t->request_.keep_body_bytes - t->body_.size()));
  }
  return n;
}

TransferReport CurlTransfer::report(CURLcode code) {
  TransferReport out;
  out.outcome.code = code;
  out.outcome.uses_tls = request_.uses_tls;
  out.error_text = error_[0] ? error_ : curl_easy_strerror(code);
  if (CURL* e = easy_.get()) {
    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &out.outcome.os_errno);
    curl_off_t t = 0;
    curl_easy_getinfo(e, CURLINFO_NAMELOOKUP_TIME_T, &t);
    out.times.namelookup = t;
    curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &t);
    out.times.connect = t;
    curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &t);
    out.times.appconnect = t;
    curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &t);
    out.times.starttransfer = request_.connect_only ? 0 : t;
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &t);
    out.times.total = t;
    long version = 0;
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    out.http_version = headers_received_ ? http_version_text(version) : "";
    curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &t);
    out.content_length = t;
    char* redirect = nullptr;
    if (!tunnel_ && curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect) {
      out.redirect_url = redirect;
    }
  } else {
    out.content_length = -1;
  }
  if (tunnel_) add_tunnel_facts(out, code);
  out.outcome.connected = out.times.connect > 0;
  out.outcome.tls_done = request_.uses_tls && out.times.appconnect > 0;  // the tunnel marks a finished handshake
  out.outcome.headers_received = headers_received_;
  out.outcome.body_too_large = body_too_large_;
  out.tls = capture_.take();
  out.sent_chain_der = capture_.take_sent_der();
  if (request_.uses_tls) {
    out.tls.server_name = request_.host;
    out.tls.client_certificate_sent = request_.tls->cert_file.has_value();
    out.outcome.leaf_without_san = out.outcome.tls_done && !request_.tls->insecure_skip_verify &&
                                   !out.tls.chain.empty() && out.tls.chain.front().dns_names.empty();
    if (out.outcome.leaf_without_san && out.outcome.code == CURLE_OK) {
      out.error_text = "the certificate has no subjectAltName; curl and OpenSSL accept its Common Name '" +
                       out.tls.chain.front().subject_cn + "'";
    }
  }
  out.outcome.verify_result = out.tls.verify_result.value_or(0);
  out.outcome.missing_intermediate = missing_intermediate(out.tls.chain);
  out.outcome.ssl_error = ssl_error_from_message(out.error_text);
  out.status = status_;
  out.headers = std::move(headers_);
  out.body = std::move(body_);
  out.body_bytes = body_bytes_;
  return out;
}

// The tunnel's part of an HTTPS transfer: its clock (curl's started after the handshake), and its
// failure when that is what ended the transfer.
void CurlTransfer::add_tunnel_facts(TransferReport& out, CURLcode code) const {
  const TunnelState& s = tunnel_->state();
  CurlTimes curl = out.times;
  out.times = CurlTimes{};
  out.times.connect = micros_since(s.started_ns, s.connected_ns);
  out.times.appconnect = micros_since(s.started_ns, s.handshake_done_ns);
  if (curl_started_ns_ != 0) {
    std::int64_t offset = micros_since(s.started_ns, curl_started_ns_);
    out.times.starttransfer = curl.starttransfer > 0 ? offset + curl.starttransfer : 0;
    out.times.total = offset + curl.total;
  } else {
    out.times.total = micros_since(s.started_ns, uv_hrtime());
  }
  out.times.total = std::max({out.times.total, out.times.connect, out.times.appconnect});
  // curl saw only the end of its local connection; the tunnel saw why (a reset, an alert).
  // A response curl completed stands whatever happened to the connection after it.
  if (s.code != CURLE_OK && (code != CURLE_OK || curl_started_ns_ == 0)) {
    out.outcome.code = s.code;
    out.outcome.os_errno = s.os_errno;
    out.error_text = s.error_text;
  }
  for (auto it = headers_.rbegin(); it != headers_.rend() && out.redirect_url.empty(); ++it) {
    if (iequals(it->first, "location")) out.redirect_url = absolute_location(request_.url, it->second);
  }
}

void settle_missing_issuer(TransferReport& report, std::optional<bool> completes, const std::string& note) {
  if (completes) report.outcome.missing_intermediate = *completes;
  report.tls.aia_completes = completes;
  report.tls.aia_note = note;
}

}  // namespace prober::checks
