#include "checks/explain_table.h"
#include "checks/text.h"

#include <string_view>

namespace prober::checks {
namespace {

using namespace phrases;  // NOLINT(google-build-using-namespace): the table reads as sentences

const std::string* header(const CheckResult& r, std::string_view name) {
  for (const auto& [key, value] : r.http.headers) {
    if (iequals(key, name)) return &value;
  }
  return nullptr;
}

// What a status says about who answered: the origin, or a proxy in front of it.
void status_hints(const CheckResult& r, Hints& hints) {
  int status = r.http.status.value_or(0);
  if (status == 401 || status == 407) {
    const std::string* challenge = header(r, status == 401 ? "www-authenticate" : "proxy-authenticate");
    hints.push_back("the server wants credentials" + (challenge ? " (" + *challenge + ")" : std::string()) +
                    ": a browser with a session or saved login passes; give the monitor an Authorization header");
  } else if (status == 403) {
    hints.push_back(
        "forbidden for this vantage: an IP allow-list, geo-blocking or a WAF rule can refuse it while a browser "
        "elsewhere gets in (prober check --diagnose retries with a browser's headers)");
  } else if (status == 502 || status == 504) {
    hints.push_back("a proxy or load balancer answered: its backend is down or too slow (" + std::to_string(status) +
                    "); the origin itself never replied");
  } else if (status == 503) {
    hints.push_back("overloaded or in maintenance" +
                    (header(r, "retry-after") ? " (Retry-After: " + *header(r, "retry-after") + ")" : std::string()));
  }
}

void explain_redirects(const CheckResult& r, std::string& m, Hints& hints) {
  m = r.detail + " (" + std::to_string(r.http.redirects.size()) + " hops followed)";
  hints.push_back("a browser's cookies can end a loop that a cookieless client keeps following");
}

const Explanation kHttp[] = {
    {FailureClass::kHttpTimeout,
     [](const CheckResult& r, std::string& m, Hints&) {
       m = "no HTTP response from " + endpoint(r) + " in time (connected, request sent, no headers)";
     }},
    {FailureClass::kHttpBodyTimeout,
     [](const CheckResult& r, std::string& m, Hints&) {
       m = "HTTP " + std::to_string(r.http.status.value_or(0)) +
           " headers arrived but the body did not finish in time (" + std::to_string(r.http.body_bytes) +
           " bytes read)";
     }},
    {FailureClass::kHttpProtocolError,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = "malformed HTTP response from " + endpoint(r) + ": " + r.detail;
       if (r.detail.find("HTTP/2") != std::string::npos || r.detail.find("http2") != std::string::npos) {
         hints.push_back("HTTP/2 framing error: browsers may negotiate differently or retry over HTTP/1.1");
       }
       if (r.detail.find("unencoding") != std::string::npos || r.detail.find("decod") != std::string::npos) {
         hints.push_back(
             "the body's Content-Encoding (gzip, deflate, br) does not decode: browsers ask for compression too and "
             "show an error page; clients that do not ask (curl without --compressed) never see it");
       }
     }},
    {FailureClass::kHttpStatus,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = "unexpected HTTP answer: " + r.detail;
       status_hints(r, hints);
       if (r.tls.client_certificate_requested && !r.tls.client_certificate_sent) {
         // nginx with ssl_verify_client on answers 400 "No required SSL certificate was sent".
         hints.push_back(
             "the server asked for a client certificate during the handshake and none was sent: it may require "
             "one (tls.cert_file, tls.key_file; --cert/--key)");
       }
     }},
    {FailureClass::kHttpBlocked,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = "blocked by bot protection or a rate limit: " + r.detail;
       hints.push_back(
           "browsers pass JavaScript challenges and carry cookies; a monitor does not: allow-list this vantage's "
           "address or user agent in the WAF / bot manager");
     }},
    {FailureClass::kHttpTooManyRedirects, &explain_redirects},
    {FailureClass::kHttpRedirectLoop, &explain_redirects},
    {FailureClass::kHttpBodyTooLarge,
     [](const CheckResult& r, std::string& m, Hints&) { m = "response body too large: " + r.detail; }},
    {FailureClass::kHttpBodyMismatch, &detail_is_the_message},
    {FailureClass::kHttpHeaderMismatch, &detail_is_the_message},
    {FailureClass::kHttpSlow, &detail_is_the_message},
    {FailureClass::kHttpDowngrade,
     [](const CheckResult& r, std::string& m, Hints& hints) {
       m = "HTTPS downgraded to plain HTTP: " + r.detail;
       hints.push_back(
           "the page loads, but not over TLS: browsers show it as not secure (and HSTS would refuse it); make every "
           "redirect of an https:// URL stay on https://");
     }},
};

}  // namespace

std::span<const Explanation> http_explanations() { return kHttp; }

}  // namespace prober::checks
