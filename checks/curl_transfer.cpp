#include "checks/curl_transfer.h"

#include <algorithm>
#include <cctype>

#include <uv.h>

namespace prober::checks {
namespace {

constexpr std::size_t kMaxHeaders = 200;
constexpr std::size_t kMaxHeaderValue = 8192;

long tls_version_option(const std::optional<std::string>& version, bool max) {
  // The minimum and the maximum live in one option word: CURL_SSLVERSION_* | CURL_SSLVERSION_MAX_*.
  struct Pair {
    const char* name;
    long min;
    long max;
  };
  static const Pair kVersions[] = {{"1.0", CURL_SSLVERSION_TLSv1_0, CURL_SSLVERSION_MAX_TLSv1_0},
                                   {"1.1", CURL_SSLVERSION_TLSv1_1, CURL_SSLVERSION_MAX_TLSv1_1},
                                   {"1.2", CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2},
                                   {"1.3", CURL_SSLVERSION_TLSv1_3, CURL_SSLVERSION_MAX_TLSv1_3}};
  if (version) {
    for (const auto& v : kVersions) {
      if (*version == v.name) return max ? v.max : v.min;
    }
  }
  return max ? static_cast<long>(CURL_SSLVERSION_MAX_DEFAULT) : static_cast<long>(CURL_SSLVERSION_DEFAULT);
}

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

}  // namespace

CurlTransfer::CurlTransfer(TransferRequest request) : request_(std::move(request)) {}

CurlTransfer::~CurlTransfer() {
  if (running_) driver_->remove(easy_.get());  // out of the multi before curl_easy_cleanup
}

bool CurlTransfer::configure() {
  easy_.reset(curl_easy_init());
  CURL* e = easy_.get();
  if (!e) return false;
  bool ok = curl_easy_setopt(e, CURLOPT_URL, request_.url.c_str()) == CURLE_OK;
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are followed hop by hop by us
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, &CurlTransfer::on_socket_ready);
  curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, this);
  if (!request_.address.empty()) {
    // Pin the connection to the address we resolved ourselves; curl never resolves.
    bool v6 = request_.address.find(':') != std::string::npos;
    std::string entry = request_.host + ":" + std::to_string(request_.port) + ":" +
                        (v6 ? "[" + request_.address + "]" : request_.address);
    ok = ok && io::append(resolve_, entry.c_str());
    curl_easy_setopt(e, CURLOPT_RESOLVE, resolve_.get());
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
    for (const auto& [name, value] : request_.headers) {
      std::string lower(name);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      has_user_agent = has_user_agent || lower == "user-agent";
      has_accept_encoding = has_accept_encoding || lower == "accept-encoding";
      std::string line = name + (value.empty() ? ";" : ": " + value);
      ok = ok && io::append(header_list_, line.c_str());
    }
    if (!has_user_agent) curl_easy_setopt(e, CURLOPT_USERAGENT, "prober/" PROBER_VERSION_STRING);
    // As browsers (and Go's client in blackbox_exporter) do: ask for compression and decode it,
    // so body checks see the text and a broken encoding fails here as it fails in a browser.
    if (!has_accept_encoding) curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, header_list_.get());
  }
  if (request_.uses_tls) {
    const auto& tls = request_.tls;
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, tls.insecure_skip_verify ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, tls.insecure_skip_verify ? 0L : 2L);
    if (tls.ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, tls.ca_file->c_str());
    if (tls.cert_file) curl_easy_setopt(e, CURLOPT_SSLCERT, tls.cert_file->c_str());
    if (tls.key_file) curl_easy_setopt(e, CURLOPT_SSLKEY, tls.key_file->c_str());
    curl_easy_setopt(e, CURLOPT_SSLVERSION,
                     tls_version_option(tls.min_version, false) | tls_version_option(tls.max_version, true));
    capture_.attach(e);
  }
  return ok;
}

std::optional<TransferReport> CurlTransfer::start(io::CurlMultiDriver& driver, Done done) {
  driver_ = &driver;
  if (!configure()) {
    TransferReport refused;
    refused.outcome.code = CURLE_FAILED_INIT;
    refused.error_text = "curl refused the request options";
    return refused;
  }
  CURLMcode rc = driver.add(easy_.get(), [this, done = std::move(done)](CURLcode code) {
    running_ = false;
    done(report(code));
  });
  if (rc != CURLM_OK) {
    TransferReport refused;
    refused.outcome.code = CURLE_FAILED_INIT;
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

int CurlTransfer::on_socket_ready(void* self, curl_socket_t, curlsocktype) noexcept {
  auto* t = static_cast<CurlTransfer*>(self);
  t->connect_started_ns_ = uv_hrtime();
  return CURL_SOCKOPT_OK;
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
  CURL* e = easy_.get();
  out.outcome.code = code;
  out.outcome.uses_tls = request_.uses_tls;
  out.error_text = error_[0] ? error_ : curl_easy_strerror(code);
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
  // curl 7.88 reports no connect time for a TLS handshake that is still running or failed; the
  // ClientHello going out marks the moment TCP was up.
  if (out.times.connect == 0 && capture_.handshake_started() && connect_started_ns_ > 0) {
    auto tcp = static_cast<std::int64_t>((capture_.ctx_created_ns() - connect_started_ns_) / 1000);
    out.times.connect = out.times.namelookup + std::max<std::int64_t>(tcp, 1);
    out.times.total = std::max(out.times.total, out.times.connect);
  }
  out.outcome.connected = out.times.connect > 0;
  out.outcome.tls_done = request_.uses_tls && (out.times.appconnect > 0 || capture_.handshake_done());
  out.outcome.headers_received = headers_received_;
  out.outcome.body_too_large = body_too_large_;
  out.tls = capture_.take();
  out.sent_chain_der = capture_.take_sent_der();
  if (request_.uses_tls) {
    out.tls.server_name = request_.host;
    out.tls.client_certificate_sent = request_.tls.cert_file.has_value();
    out.outcome.leaf_without_san = out.outcome.tls_done && !request_.tls.insecure_skip_verify &&
                                   !out.tls.chain.empty() && out.tls.chain.front().dns_names.empty();
    if (out.outcome.leaf_without_san && code == CURLE_OK) {
      out.error_text = "the certificate has no subjectAltName; curl accepted its Common Name '" +
                       out.tls.chain.front().subject_cn + "'";
    }
  }
  out.outcome.verify_result = out.tls.verify_result.value_or(0);
  out.outcome.missing_intermediate = missing_intermediate(out.tls.chain);
  out.outcome.ssl_error = ssl_error_from_message(out.error_text);
  out.status = status_;
  long version = 0;
  curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
  out.http_version = headers_received_ ? http_version_text(version) : "";
  curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &t);
  out.content_length = t;
  char* redirect = nullptr;
  if (curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect) out.redirect_url = redirect;
  out.headers = std::move(headers_);
  out.body = std::move(body_);
  out.body_bytes = body_bytes_;
  return out;
}

void settle_missing_issuer(TransferReport& report, std::optional<bool> completes, const std::string& note) {
  if (completes) report.outcome.missing_intermediate = *completes;
  report.tls.aia_completes = completes;
  report.tls.aia_note = note;
}

}  // namespace prober::checks
