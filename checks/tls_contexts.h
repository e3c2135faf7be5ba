#pragma once
// One SSL_CTX per distinct TLS setting (CA file, versions, client certificate, verification),
// shared by every check that uses it. curl makes a new SSL_CTX for every connection, and with
// OpenSSL 3 that costs about a third of a handshake; a shared one costs nothing per check. Each
// check still gets a fresh SSL and no session is ever resumed: every check is a full handshake.
#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/monitor_config.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace prober::checks {

class TlsContexts {
 public:
  struct Made {
    std::shared_ptr<SSL_CTX> ctx;  // null when the setting cannot be built
    CURLcode code = CURLE_OK;      // as curl names the same refusal (bad CA file, bad client certificate)
    std::string error;
  };

  TlsContexts() = default;
  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  // The context for `tls`, built on first use and again when one of its files changed (a rotated
  // CA bundle or client certificate is picked up by the next check). `now_ms`: a monotonic clock,
  // used to drop settings no check has used for ten minutes (after a reload removed them).
  Made get(const config::TlsOptions& tls, std::uint64_t now_ms);
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::shared_ptr<SSL_CTX> ctx;
    std::string files;  // the files' identity (inode, size, mtime) the context was built from
    std::uint64_t last_used_ms = 0;
  };
  void sweep(std::uint64_t now_ms);

  std::unordered_map<std::string, Entry> entries_;
  std::uint64_t last_sweep_ms_ = 0;
};

// Why this OpenSSL cannot offer `groups` (a TlsOptions::groups list): the first name it does not
// know as a TLS key exchange group (OpenSSL 3.0 has no X25519MLKEM768), so a configuration says
// so when it loads. Unset when it knows them all.
std::optional<std::string> tls_groups_error(const std::string& groups);

// OpenSSL's protocol version number for "1.0" .. "1.3"; 0 for anything else.
int tls_version_number(const std::string& version);

}  // namespace prober::checks
