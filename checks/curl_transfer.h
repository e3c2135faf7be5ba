#pragma once
// One transfer pinned to one address: a fresh connection, no signals, a bounded body, and every
// fact the classifier and the result need gathered when it ends. Plain HTTP is curl's alone;
// for HTTPS (and TLS checks) the connection and handshake are a TlsTunnel's, on a context shared
// per TLS setting, and curl speaks HTTP through it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checks/check_env.h"
#include "checks/check_result.h"
#include "checks/failure.h"
#include "checks/timings.h"
#include "checks/tls_capture.h"
#include "checks/tls_tunnel.h"
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
  config::SharedBlock<config::TlsOptions> tls;  // the monitor's own block: no copy per run
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

  // Starts the transfer with `env`'s I/O; `done` runs once from the loop. On a refusal (curl
  // cannot take the options, the connection fails at once) returns the report at once instead.
  std::optional<TransferReport> start(const CheckEnv& env, Done done);
  // Stops a running transfer; the report says how far it got (for the timeout's phase).
  TransferReport abort() noexcept;

 private:
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) noexcept;
  static int on_connected(void* self, char* remote_ip, char* local_ip, int remote_port, int local_port) noexcept;
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) noexcept;
  bool configure(const std::string& local_socket);
  std::optional<TransferReport> start_curl(const std::string& local_socket);
  void on_handshake();
  TransferReport report(CURLcode code);
  void add_tunnel_facts(TransferReport& out, CURLcode code) const;

  TransferRequest request_;
  io::CurlMultiDriver* driver_ = nullptr;
  Done done_;
  bool running_ = false;               // the easy handle is in curl's multi
  std::uint64_t curl_started_ns_ = 0;  // uv_hrtime() when curl got the transfer, after a handshake
  bool headers_received_ = false;
  bool body_too_large_ = false;
  int status_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::string body_;
  std::vector<std::pair<std::string, std::string>> headers_;
  char error_[CURL_ERROR_SIZE] = {};
  TlsCapture capture_;                 // the tunnel's SSL points at it: must outlive tunnel_
  std::unique_ptr<TlsTunnel> tunnel_;  // HTTPS and TLS checks: must outlive easy_ (curl's peer)
  io::CurlSlistPtr resolve_;           // curl reads these during the transfer: must outlive easy_
  io::CurlSharePtr resolve_cache_;     // the pinned address's name cache (the multi's keeps pins for good)
  io::CurlSlistPtr header_list_;
  io::CurlEasyPtr easy_;
};

}  // namespace prober::checks
