#pragma once
// One curl transfer pinned to one address: a fresh connection, no signals, a bounded body, and
// every fact the classifier and the result need gathered when it ends.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checks/check_result.h"
#include "checks/failure.h"
#include "checks/timings.h"
#include "checks/tls_capture.h"
#include "config/monitor_config.h"
#include "io/curl_handles.h"
#include "io/curl_multi_driver.h"

namespace prober::checks {

struct TransferRequest {
  std::string url;
  std::string host;  // the URL's host: SNI, certificate name, Host header
  int port = 0;
  std::string address;  // IP literal to connect to; empty when the host is an address itself
  bool uses_tls = false;
  bool connect_only = false;  // tcp and tls checks: stop once connected (and handshaken)
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  config::TlsOptions tls;
  std::uint64_t max_body_bytes = 10ull << 20;
  std::uint64_t keep_body_bytes = 0;  // how much of the body validators need to see
};

struct TransferReport {
  TransferOutcome outcome;
  std::vector<std::string> sent_chain_der;  // DER, leaf first, kept only when the issuer was not found
  std::string error_text;                   // curl's message
  CurlTimes times;
  TlsFacts tls;
  int status = 0;
  std::string http_version;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // at most keep_body_bytes
  std::uint64_t body_bytes = 0;
  std::int64_t content_length = -1;
  std::string redirect_url;
};

// Settles what only an AIA fetch can (aia_fetch.h): whether the issuer the server did not send
// completes the chain. Adds the fetch's note to the report's TLS facts.
// `completes`: unset when nothing could be fetched (the chain's shape decides, as before).
void settle_missing_issuer(TransferReport& report, std::optional<bool> completes, const std::string& note);

class CurlTransfer {
 public:
  using Done = std::function<void(TransferReport)>;

  explicit CurlTransfer(TransferRequest request);
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;
  ~CurlTransfer();

  // Starts the transfer on `driver`; `done` runs once from the loop. On a refusal (curl cannot
  // take the options) returns the report at once instead.
  std::optional<TransferReport> start(io::CurlMultiDriver& driver, Done done);
  // Stops a running transfer; the report says how far it got (for the timeout's phase).
  TransferReport abort() noexcept;

 private:
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) noexcept;
  static int on_socket_ready(void* self, curl_socket_t fd, curlsocktype purpose) noexcept;
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) noexcept;
  bool configure();
  TransferReport report(CURLcode code);

  TransferRequest request_;
  io::CurlMultiDriver* driver_ = nullptr;
  bool running_ = false;
  std::uint64_t connect_started_ns_ = 0;  // just before connect(), from the sockopt callback
  bool headers_received_ = false;
  bool body_too_large_ = false;
  int status_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::string body_;
  std::vector<std::pair<std::string, std::string>> headers_;
  char error_[CURL_ERROR_SIZE] = {};
  TlsCapture capture_;        // the SSL_CTX points at it: must outlive easy_
  io::CurlSlistPtr resolve_;  // curl reads these during the transfer: must outlive easy_
  io::CurlSlistPtr header_list_;
  io::CurlEasyPtr easy_;
};

}  // namespace prober::checks
