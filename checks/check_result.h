#pragma once
// One probe's outcome: the CheckResult of shared/DESIGN.md §5. Plain data.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "checks/cert_info.h"
#include "checks/failure.h"

namespace prober::checks {

using Micros = std::chrono::microseconds;

// Phase durations; nullopt for a phase never reached.
struct Timings {
  std::optional<Micros> dns, connect, tls, ttfb, transfer, total;
};

struct RedirectHop {
  std::string url;
  std::string address;
  int status = 0;
  std::string location;
  Timings timings;
};

struct HttpFacts {
  std::optional<int> status;
  std::optional<std::string> version;  // "1.1", "2"
  std::vector<RedirectHop> redirects;  // every hop that answered with a redirect
  std::optional<std::string> final_url;
  std::optional<std::int64_t> content_length;
  std::uint64_t body_bytes = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // of the last response
};

struct TlsFacts {
  std::optional<std::string> version;  // "TLSv1.3"
  std::optional<std::string> cipher;
  std::optional<std::string> group;  // the key exchange group chosen ("X25519MLKEM768", "x25519")
  std::optional<std::string> alpn;
  std::optional<bool> forward_secrecy;   // the key exchange was ephemeral (not RSA key transport)
  std::optional<bool> aead;              // an AEAD cipher (GCM, ChaCha20-Poly1305), not CBC
  std::vector<CertInfo> chain;           // as the server sent it, leaf first
  std::vector<CertInfo> verified_chain;  // as OpenSSL built it, when verification got that far
  std::optional<long> verify_result;     // X509_V_*
  std::optional<std::string> verify_error;
  std::string server_name;                    // the name asked for (SNI) and checked against the certificate
  std::optional<std::string> aia_note;        // what fetching the missing issuer (AIA) showed
  std::optional<bool> aia_completes;          // fetched: whether that issuer completes the chain
  bool client_certificate_requested = false;  // the server asked for one and none was configured
  bool client_certificate_sent = false;       // one was configured (sent if the server asked)
};

struct DnsFacts {
  std::string server;
  std::string question;  // name and record type asked
  std::optional<std::string> rcode;
  std::vector<std::string> answers;
  std::vector<std::uint32_t> ttls;
  std::size_t addresses_left_out = 0;  // ip_version each: addresses found but not probed (address_lookup.h)
};

// Another problem seen in the same probe, after the one the result's class names (a certificate
// for the wrong name that also lacks its intermediate).
struct Finding {
  FailureClass failure_class = FailureClass::kOk;
  std::string message;
};

// What a follow-up run found about a failure: `prober check --diagnose`, and the agent when a
// monitor turns hard-failing (diagnostics/). Facts from the network: show them, never act on them.
struct Diagnostic {
  std::string kind;                  // "dns", "path", "tls", "http"
  std::string summary;               // the conclusion, one line (what alert payloads carry)
  std::vector<std::string> details;  // what each follow-up saw, one line each
};

struct CheckResult {
  std::string monitor;
  std::string type;  // http, tls, tcp, dns
  std::string target;
  std::string address;  // the address probed; empty when none was reached
  int port = 0;
  int ip_version = 0;  // 4, 6, or 0 when no address was probed
  std::chrono::system_clock::time_point started_at;
  Failure failure;
  // Set when the vantage was unhealthy: what the check itself found, under vantage_unhealthy.
  std::optional<FailureClass> underlying_class;
  std::string message;                  // one line, from explain()
  std::vector<std::string> hints;       // why a browser may disagree, what to look at
  std::vector<Finding> findings;        // the other problems, in the order a client meets them
  std::vector<Diagnostic> diagnostics;  // set only by a diagnosis, after the result was reported
  std::string detail;                   // the raw fact behind the class (curl's error, the mismatch)
  bool deadline_hit = false;            // cancelled at the run's deadline, not finished
  Timings timings;
  HttpFacts http;
  TlsFacts tls;
  DnsFacts dns;
};

}  // namespace prober::checks
