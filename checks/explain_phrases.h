#pragma once
// The phrases explanations are made of: a time, an endpoint, the name and server of a DNS
// question, the certificate's names, and the two TLS cases that need OpenSSL's codes to word.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checks/check_result.h"

namespace prober::checks::phrases {

using Hints = std::vector<std::string>;

std::string date(std::int64_t unix_seconds);          // "2026-11-30 14:56 UTC"
std::string ms(const std::optional<Micros>& d);       // "12.3 ms", "?" when never measured
std::string endpoint(const CheckResult& r);           // "192.0.2.1:443", "[2001:db8::1]:443"
std::string host_of(const CheckResult& r);            // the name asked about, else the target
std::string question_of(const CheckResult& r);        // "example.com A", else the target
std::string dns_server(const CheckResult& r);         // "192.0.2.53:53" or "the system's resolver"
std::string dns_server_phrase(const CheckResult& r);  // "DNS server 192.0.2.53:53" or "the system's resolver"
std::string leaf_names(const CheckResult& r);         // the leaf's DNS names, else "CN=..."
const CertInfo* leaf(const CheckResult& r);
// The certificate of the chain (sent, then verified) that has expired (or is not yet valid) now;
// the leaf when none can be told.
const CertInfo* out_of_date(const CheckResult& r, bool expired);
std::string cn(const CertInfo* c);

// For findings whose check already worded them (which pattern, which limit, how many days).
void detail_is_the_message(const CheckResult& r, std::string& message, Hints& hints);
// OpenSSL's words for an SSL reason code ("tlsv13 alert certificate required").
std::string alert_name(int reason);
// A handshake that failed, worded from the OpenSSL reason in the result's detail.
void tls_handshake(const CheckResult& r, std::string& message, Hints& hints);
// A chain that does not end in a root this vantage trusts, worded from the X509_V_ERR code.
void untrusted(const CheckResult& r, std::string& message, Hints& hints);

}  // namespace prober::checks::phrases
