#pragma once
// Pure facts about certificates (what the server sent, what OpenSSL verified), as plain data.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

typedef struct x509_st X509;

namespace prober::checks {

struct CertInfo {
  std::string subject;  // RFC 2253 one-liner: "CN=shop.example,O=Shop"
  std::string issuer;
  std::string subject_cn;  // common name alone, for messages
  std::string issuer_cn;
  std::int64_t not_before = 0;  // Unix seconds
  std::int64_t not_after = 0;
  std::string sha256;  // hex fingerprint of the DER encoding
  bool is_ca = false;
  bool self_issued = false;
  std::vector<std::string> dns_names;         // subjectAltName DNS and IP entries
  std::optional<std::string> ca_issuers_url;  // AIA: where browsers fetch a missing issuer
  std::string key_type;                       // RSA, EC, ED25519, ...
  int key_bits = 0;
  std::string signature_algorithm;
};

CertInfo cert_info(X509* cert);
// The same through a cache of the certificates seen lately, keyed by their exact DER encoding: a
// server sends the same chain run after run, and reading its names, extensions and fingerprint
// again is ~5 % of an HTTPS check. Per thread; emptied when it holds kCachedCertificates.
CertInfo cert_info_cached(X509* cert);
inline constexpr std::size_t kCachedCertificates = 2048;

// The server sent a leaf whose issuer is an intermediate it did not send: a client without
// an AIA fetcher or a cached intermediate (every monitor, curl, most API clients) cannot build
// the chain, while browsers can. A top cert that is itself a CA means the missing piece is the
// root, which servers never need to send: that is an unknown root, not an incomplete chain.
bool missing_intermediate(const std::vector<CertInfo>& sent_chain);

std::optional<std::int64_t> earliest_expiry(const std::vector<CertInfo>& chain);
// Whole days from `now` until `not_after` (negative once expired).
int days_left(std::int64_t not_after, std::int64_t now);

}  // namespace prober::checks
