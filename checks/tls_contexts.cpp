#include "checks/tls_contexts.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "checks/tls_capture.h"
#include "checks/tls_library.h"
#include "config/monitor_parser.h"
#include "io/curl_handles.h"

namespace prober::checks {
namespace {

constexpr std::uint64_t kUnusedMs = 10ull * 60 * 1000;
constexpr std::uint64_t kSweepEveryMs = 60ull * 1000;

std::string file_identity(const std::optional<std::string>& path) {
  if (!path) return "-";
  struct stat s {};
  if (::stat(path->c_str(), &s) != 0) return "missing";
  return std::to_string(s.st_ino) + "/" + std::to_string(s.st_size) + "/" + std::to_string(s.st_mtim.tv_sec) + "." +
         std::to_string(s.st_mtim.tv_nsec);
}

std::string key_of(const config::TlsOptions& tls) {
  auto part = [](const std::optional<std::string>& v) { return v ? "=" + *v : std::string("-"); };
  return part(tls.ca_file) + '\n' + part(tls.cert_file) + '\n' + part(tls.key_file) + '\n' + part(tls.min_version) +
         '\n' + part(tls.max_version) + '\n' + part(tls.groups) + '\n' +
         (tls.insecure_skip_verify ? "insecure" : "verify");
}

std::string files_of(const config::TlsOptions& tls) {
  return file_identity(tls.ca_file) + ' ' + file_identity(tls.cert_file) + ' ' + file_identity(tls.key_file);
}

// OpenSSL names a file it cannot open "system lib"; the reason (no such file, permission denied) is
// what the operator needs.
std::string openssl_error(const std::string& what, const std::string* file = nullptr) {
  if (file && ::access(file->c_str(), R_OK) != 0) {
    std::string reason = std::strerror(errno);
    ERR_clear_error();
    return what + ": " + reason;
  }
  unsigned long code = ERR_peek_last_error();
  unsigned long first = ERR_peek_error();  // the cause, where the last is the caller's summary ("PEM lib")
  char text[256] = {};
  if (code) ERR_error_string_n(code, text, sizeof text);
  const char* cause = first != code ? ERR_reason_error_string(first) : nullptr;
  ERR_clear_error();
  if (!code) return what;
  return what + ": " + text + (cause ? std::string(" (") + cause + ")" : "");
}

// The CA bundle and directory curl would use when none is configured (the system's).
void load_default_roots(SSL_CTX* ctx) {
  io::CurlEasyPtr probe(curl_easy_init());
  char* file = nullptr;
  char* path = nullptr;
  if (probe) {
    curl_easy_getinfo(probe.get(), CURLINFO_CAINFO, &file);
    curl_easy_getinfo(probe.get(), CURLINFO_CAPATH, &path);
  }
  if ((file || path) && SSL_CTX_load_verify_locations(ctx, file, path) == 1) return;
  ERR_clear_error();
  SSL_CTX_set_default_verify_paths(ctx);
  ERR_clear_error();
}

TlsContexts::Made build_in(const config::TlsOptions& tls, OSSL_LIB_CTX* library) {
  TlsContexts::Made made;
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new_ex(library, nullptr, TLS_client_method()), SSL_CTX_free);
  if (!ctx) {
    made.code = CURLE_OUT_OF_MEMORY;
    made.error = openssl_error("cannot make a TLS context");
    return made;
  }
  SSL_CTX* c = ctx.get();
  // As curl: no versions set means the library's (and the system configuration's) defaults.
  if (tls.min_version) SSL_CTX_set_min_proto_version(c, tls_version_number(*tls.min_version));
  if (tls.max_version) SSL_CTX_set_max_proto_version(c, tls_version_number(*tls.max_version));
  if (tls.groups && SSL_CTX_set1_groups_list(c, tls.groups->c_str()) != 1) {
    made.code = CURLE_SSL_CIPHER;  // as curl's refusal of its --curves
    made.error = openssl_error("failed setting TLS groups " + *tls.groups);
    return made;
  }
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);  // never resume: every check a full handshake
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // As curl: an intermediate in the CA file is a trust anchor too.
  X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(c), X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_TRUSTED_FIRST);
  SSL_CTX_set_verify(c, tls.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  if (tls.ca_file) {
    if (SSL_CTX_load_verify_locations(c, tls.ca_file->c_str(), nullptr) != 1) {
      made.code = CURLE_SSL_CACERT_BADFILE;
      made.error = openssl_error("error setting certificate verify locations: CAfile: " + *tls.ca_file, &*tls.ca_file);
      return made;
    }
  } else if (!tls.insecure_skip_verify) {
    load_default_roots(c);
  }
  if (tls.cert_file) {
    const std::string& key = tls.key_file ? *tls.key_file : *tls.cert_file;
    if (SSL_CTX_use_certificate_chain_file(c, tls.cert_file->c_str()) != 1) {
      made.code = CURLE_SSL_CERTPROBLEM;
      made.error = openssl_error("could not load PEM client certificate from " + *tls.cert_file, &*tls.cert_file);
      return made;
    }
    if (SSL_CTX_use_PrivateKey_file(c, key.c_str(), SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(c) != 1) {
      made.code = CURLE_SSL_CERTPROBLEM;
      made.error = openssl_error("unable to use client private key from " + key, &key);
      return made;
    }
  }
  TlsCapture::prepare(c);
  made.ctx = std::move(ctx);
  return made;
}

TlsContexts::Made build(const config::TlsOptions& tls) {
  // The lean library reads certificates only (tls_library.h): a client key needs the default one,
  // and so does a CA file it refuses (a private key left in the bundle, say), which is then
  // accepted or refused exactly as without it.
  OSSL_LIB_CTX* lean = tls.cert_file ? nullptr : tls_check_library();
  if (lean) {
    TlsContexts::Made made = build_in(tls, lean);
    if (made.ctx) return made;
  }
  return build_in(tls, nullptr);
}

}  // namespace

std::optional<std::string> tls_groups_error(const std::string& groups) {
  // One context, to ask the library: the names it knows do not change while the process lives.
  static const std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> scratch(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  for (std::string_view view : config::tls_group_names(groups)) {
    std::string name(view);
    if (!scratch || SSL_CTX_set1_groups_list(scratch.get(), name.c_str()) != 1) {
      ERR_clear_error();
      return "OpenSSL " + std::string(OpenSSL_version(OPENSSL_VERSION_STRING)) + " does not know the group \"" + name +
             "\"";
    }
  }
  return std::nullopt;
}

int tls_version_number(const std::string& version) {
  if (version == "1.0") return TLS1_VERSION;
  if (version == "1.1") return TLS1_1_VERSION;
  if (version == "1.2") return TLS1_2_VERSION;
  if (version == "1.3") return TLS1_3_VERSION;
  return 0;
}

TlsContexts::Made TlsContexts::get(const config::TlsOptions& tls, std::uint64_t now_ms) {
  if (now_ms - last_sweep_ms_ >= kSweepEveryMs) sweep(now_ms);
  std::string key = key_of(tls);
  std::string files = files_of(tls);
  auto found = entries_.find(key);
  if (found != entries_.end() && found->second.files == files) {
    found->second.last_used_ms = now_ms;
    return Made{found->second.ctx, CURLE_OK, ""};
  }
  Made made = build(tls);
  // A setting that cannot be built is tried again by the next check: its file may be fixed by then.
  if (!made.ctx) {
    if (found != entries_.end()) entries_.erase(found);
    return made;
  }
  entries_[key] = Entry{made.ctx, std::move(files), now_ms};
  return made;
}

void TlsContexts::sweep(std::uint64_t now_ms) {
  last_sweep_ms_ = now_ms;
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now_ms - it->second.last_used_ms > kUnusedMs ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace prober::checks
