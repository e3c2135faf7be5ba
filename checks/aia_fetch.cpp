#include "checks/aia_fetch.h"

#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <uv.h>

#include <map>

#include "checks/cert_info.h"
#include "checks/url.h"
#include "io/openssl_handles.h"

namespace prober::checks {
namespace {

constexpr std::uint64_t kMaxIssuerBytes = std::uint64_t{64} * 1024;
constexpr std::uint64_t kCacheMs = std::uint64_t{60} * 60 * 1000;
constexpr std::size_t kCacheEntries = 256;

struct Cached {
  std::string bytes;  // what the URL served
  std::uint64_t at_ms = 0;
};

// Per process, on the loop thread only: every monitor whose server omits the same intermediate
// asks its CA's URL once an hour.
std::map<std::string, Cached>& cache() {
  static std::map<std::string, Cached> entries;
  return entries;
}

X509* from_der(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return d2i_X509(nullptr, &p, static_cast<long>(der.size()));
}

// The certificates in what an AIA URL served: DER (the norm), PEM, or a PKCS#7 bundle (.p7c).
void parse_issuers(const std::string& bytes, STACK_OF(X509) * out) {
  if (X509* der = from_der(bytes)) {
    sk_X509_push(out, der);
    return;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(bytes.size()))) {
    if (PKCS7_type_is_signed(p7) && p7->d.sign && p7->d.sign->cert) {
      for (int i = 0; i < sk_X509_num(p7->d.sign->cert); ++i) {
        X509* c = sk_X509_value(p7->d.sign->cert, i);
        X509_up_ref(c);
        sk_X509_push(out, c);
      }
    }
    PKCS7_free(p7);
    return;
  }
  io::BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  while (X509* pem = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr) sk_X509_push(out, pem);
}

}  // namespace

std::optional<std::string> aia_url_to_fetch(const TransferReport& report) {
  switch (report.tls.verify_result.value_or(X509_V_OK)) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      break;
    default:
      return std::nullopt;
  }
  if (report.sent_chain_der.empty() || !missing_intermediate(report.tls.chain)) return std::nullopt;
  const auto& url = report.tls.chain.back().ca_issuers_url;
  if (!url || url->rfind("http://", 0) != 0) return std::nullopt;  // browsers fetch http:// only
  return url;
}

std::optional<std::string> verify_with_issuer(const std::vector<std::string>& sent_der, const std::string& issuer,
                                              const std::optional<std::string>& ca_file, std::string* issuer_cn) {
  if (sent_der.empty()) return "no certificate to verify";
  io::X509Ptr leaf(from_der(sent_der.front()));
  io::X509StackPtr untrusted(sk_X509_new_null());
  if (!leaf || !untrusted) return "cannot read the certificates the server sent";
  for (std::size_t i = 1; i < sent_der.size(); ++i) {
    if (X509* c = from_der(sent_der[i])) sk_X509_push(untrusted.get(), c);
  }
  int before = sk_X509_num(untrusted.get());
  parse_issuers(issuer, untrusted.get());
  if (sk_X509_num(untrusted.get()) == before) return "the URL served no certificate";
  if (issuer_cn) *issuer_cn = cert_info(sk_X509_value(untrusted.get(), before)).subject_cn;
  io::X509StorePtr store(X509_STORE_new());
  if (!store) return "out of memory";
  if (ca_file ? X509_STORE_load_file(store.get(), ca_file->c_str()) != 1
              : X509_STORE_set_default_paths(store.get()) != 1) {
    return "cannot load this vantage's roots";
  }
  io::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) return "out of memory";
  if (X509_verify_cert(ctx.get()) == 1) return std::nullopt;
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

AiaFetch::AiaFetch(CheckEnv env, std::shared_ptr<const DestinationPolicy> policy, std::vector<std::string> dns_servers)
    : env_(env), policy_(std::move(policy)), dns_servers_(std::move(dns_servers)) {}

std::optional<AiaOutcome> AiaFetch::start(std::string url, std::vector<std::string> sent_der,
                                          std::optional<std::string> ca_file, Done done) {
  url_ = std::move(url);
  sent_der_ = std::move(sent_der);
  ca_file_ = std::move(ca_file);
  std::uint64_t now = uv_now(env_.curl.loop());
  auto& entries = cache();
  if (auto it = entries.find(url_); it != entries.end() && now - it->second.at_ms < kCacheMs) {
    return judge(it->second.bytes);
  }
  auto parsed = parse_url(url_);
  if (auto* error = std::get_if<std::string>(&parsed)) return AiaOutcome{false, false, "AIA URL unusable: " + *error};
  if (auto refused = policy_->refuse_url(url_)) return AiaOutcome{false, false, "AIA fetch refused: " + *refused};
  done_ = std::move(done);
  const ParsedUrl& target = std::get<ParsedUrl>(parsed);
  io::ResolverOptions options;
  options.servers = dns_servers_;
  auto resolver = env_.resolvers.get(options);
  if (auto* error = std::get_if<std::string>(&resolver)) return AiaOutcome{false, false, *error};
  lookup_ = std::make_unique<AddressLookup>(std::get<std::shared_ptr<io::AresResolver>>(std::move(resolver)),
                                            target.host, config::IpVersion::kAny);
  auto immediate = lookup_->start([this](AddressLookupResult r) { on_address(std::move(r)); });
  if (immediate) on_address(std::move(*immediate));
  return std::nullopt;
}

void AiaFetch::on_address(AddressLookupResult lookup) {
  lookup_.reset();
  if (lookup.failure.failure_class != FailureClass::kOk) {
    return finish(AiaOutcome{false, false, "AIA URL " + url_ + " did not resolve: " + lookup.detail});
  }
  const std::string& address = lookup.addresses.front();
  if (auto refused = policy_->refuse_address(address)) {
    return finish(AiaOutcome{false, false, "AIA fetch refused: " + *refused});
  }
  ParsedUrl target = std::get<ParsedUrl>(parse_url(url_));
  TransferRequest request;
  request.url = target.url;
  request.host = target.host;
  request.port = target.port;
  request.address = is_ip_literal(target.host) ? "" : address;
  request.uses_tls = target.scheme == "https";  // rare (AIA URLs are http by custom), verified as any
  request.max_body_bytes = kMaxIssuerBytes;
  request.keep_body_bytes = kMaxIssuerBytes;
  transfer_ = std::make_unique<CurlTransfer>(std::move(request));
  if (auto refused = transfer_->start(env_, [this](const TransferReport& r) { on_body(r); })) on_body(*refused);
}

void AiaFetch::on_body(const TransferReport& report) {
  if (report.outcome.code != CURLE_OK || report.status != 200) {
    std::string why = report.outcome.code != CURLE_OK ? report.error_text : "HTTP " + std::to_string(report.status);
    return finish(AiaOutcome{false, false, "AIA URL " + url_ + " could not be fetched: " + why});
  }
  auto& entries = cache();
  if (entries.size() >= kCacheEntries) entries.erase(entries.begin());
  entries[url_] = Cached{report.body, uv_now(env_.curl.loop())};
  finish(judge(report.body));
}

AiaOutcome AiaFetch::judge(const std::string& issuer) const {
  std::string issuer_cn;
  auto error = verify_with_issuer(sent_der_, issuer, ca_file_, &issuer_cn);
  if (!error) {
    return AiaOutcome{true, true,
                      "the issuer '" + issuer_cn + "' fetched from " + url_ + " completes the chain, as browsers do"};
  }
  return AiaOutcome{true, false,
                    "even with the issuer " + (issuer_cn.empty() ? "" : "'" + issuer_cn + "' ") + "fetched from " +
                        url_ + " the chain does not verify: " + *error};
}

void AiaFetch::finish(AiaOutcome outcome) {
  transfer_.reset();
  if (auto done = std::move(done_)) done(std::move(outcome));
}

void IssuerCompletion::settle(TransferReport report, std::function<void(TransferReport)> next) {
  auto url = aia_url_to_fetch(report);
  if (!url) return next(std::move(report));
  auto sent = std::move(report.sent_chain_der);
  pending_ = std::move(report);
  next_ = std::move(next);
  fetch_ = std::make_unique<AiaFetch>(env_, policy_, monitor_.request->dns_servers);
  auto on_outcome = [this](const AiaOutcome& outcome) {
    TransferReport settled = std::move(*pending_);
    pending_.reset();
    settle_missing_issuer(settled, outcome.fetched ? std::optional<bool>(outcome.completes) : std::nullopt,
                          outcome.note);
    if (auto then = std::move(next_)) then(std::move(settled));
  };
  if (auto now = fetch_->start(*url, std::move(sent), monitor_.tls->ca_file, on_outcome)) on_outcome(*now);
}

std::optional<TransferReport> IssuerCompletion::abandon() {
  if (!pending_) return std::nullopt;
  TransferReport report = std::move(*pending_);
  pending_.reset();
  next_ = nullptr;
  fetch_.reset();
  settle_missing_issuer(report, std::nullopt, "the issuer's AIA URL did not answer before the deadline");
  return report;
}

}  // namespace prober::checks
