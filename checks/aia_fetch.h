#pragma once
// What a browser does with a chain that stops short: it fetches the missing issuer from the
// URL the last certificate names (Authority Information Access, caIssuers) and tries again.
// Curl, OpenSSL, Java and API clients do not. One bounded fetch per probe (http:// only, no
// redirects, 64 KiB, within the run's deadline), cached per URL for an hour; the fetched
// certificate is then verified with the sent chain against this vantage's roots, so "the
// server omits an intermediate" (tls_chain_incomplete) and "the chain ends in a root this
// vantage does not trust" (tls_cert_untrusted) are told apart instead of guessed.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/address_lookup.h"
#include "checks/check_env.h"
#include "checks/curl_transfer.h"
#include "checks/destination_policy.h"

namespace prober::checks {

struct AiaOutcome {
  bool fetched = false;    // the issuer came (from the URL or the cache)
  bool completes = false;  // with it, the chain verifies against this vantage's roots
  std::string note;        // what happened, for the result's hints
};

// Whether a failed verification is one an AIA fetch can answer: the issuer was not found and
// the top of what the server sent names an http:// issuer URL.
std::optional<std::string> aia_url_to_fetch(const TransferReport& report);

// Verifies `sent_der` (leaf first) with `issuer` (DER, PEM or PKCS#7 bytes) added, against
// `ca_file` or the system's roots. Empty on success, else why not.
std::optional<std::string> verify_with_issuer(const std::vector<std::string>& sent_der, const std::string& issuer,
                                              const std::optional<std::string>& ca_file, std::string* issuer_cn);

class AiaFetch {
 public:
  using Done = std::function<void(AiaOutcome)>;
  AiaFetch(CheckEnv env, std::shared_ptr<const DestinationPolicy> policy, std::vector<std::string> dns_servers);
  AiaFetch(const AiaFetch&) = delete;
  AiaFetch& operator=(const AiaFetch&) = delete;

  // The outcome at once (cached, refused, unusable URL), or nullopt and `done` later from the loop.
  std::optional<AiaOutcome> start(std::string url, std::vector<std::string> sent_der,
                                  std::optional<std::string> ca_file, Done done);

 private:
  void on_address(AddressLookupResult lookup);
  void on_body(const TransferReport& report);
  AiaOutcome judge(const std::string& issuer) const;
  void finish(AiaOutcome outcome);

  CheckEnv env_;
  std::shared_ptr<const DestinationPolicy> policy_;
  std::vector<std::string> dns_servers_;
  std::string url_;
  std::vector<std::string> sent_der_;
  std::optional<std::string> ca_file_;
  Done done_;
  std::unique_ptr<AddressLookup> lookup_;
  std::unique_ptr<CurlTransfer> transfer_;
};

// A finished transfer held while its missing issuer is fetched, then handed on settled: what
// the HTTP and TLS checks both do with a chain that stops short.
class IssuerCompletion {
 public:
  IssuerCompletion(CheckEnv env, std::shared_ptr<const DestinationPolicy> policy, const config::MonitorConfig& monitor)
      : env_(env), policy_(std::move(policy)), monitor_(monitor) {}
  // Calls `next` with the report: at once, or after the AIA fetch its failed verification asks for.
  void settle(TransferReport report, std::function<void(TransferReport)> next);
  // At the deadline: the report still waiting for its fetch, settled as the chain's shape says.
  std::optional<TransferReport> abandon();

 private:
  CheckEnv env_;
  std::shared_ptr<const DestinationPolicy> policy_;
  const config::MonitorConfig& monitor_;
  std::optional<TransferReport> pending_;
  std::function<void(TransferReport)> next_;
  std::unique_ptr<AiaFetch> fetch_;  // kept until the check goes: it may be finishing when settled
};

}  // namespace prober::checks
