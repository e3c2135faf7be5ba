#include "report/result_store.h"

#include <iterator>

#include "checks/check_result_json.h"

namespace prober::report {
namespace {

using checks::CheckResult;
using checks::Micros;

CheckResult sample(const char* type, const char* target) {
  CheckResult r;
  r.monitor = target;
  r.type = type;
  r.target = target;
  r.address = "192.0.2.10";
  r.ip_version = 4;
  r.message = std::string(type) + " ok in 12.3 ms";
  r.timings.total = Micros(12345);
  return r;
}

}  // namespace

// An HTTPS and an HTTP result, the most common last (the closest matches cost the fewest bits):
// every result has every key (a DNS result has null "http" and "tls" facts), so these hold the
// shape of all of them. Made by the writer itself: the dictionary follows the lines' shape.
std::string result_dictionary() {
  std::string vantage = "vantage";
  std::string region = "region";
  checks::ResultLineContext context{vantage, region, 1000};

  checks::CertInfo leaf;
  leaf.subject = "CN=www.example.com";
  leaf.issuer = "CN=R11,O=Let's Encrypt,C=US";
  leaf.not_before = 1767225600;
  leaf.not_after = 1775001600;
  leaf.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  leaf.dns_names = {"www.example.com", "example.com"};
  leaf.key_type = "EC";
  leaf.key_bits = 256;
  leaf.signature_algorithm = "sha256WithRSAEncryption";
  CheckResult https = sample("http", "https://www.example.com/");
  https.http.status = 200;
  https.http.version = "2";
  https.http.final_url = https.target;
  https.http.content_length = 1234;
  https.http.body_bytes = 1234;
  https.tls.version = "TLSv1.3";
  https.tls.cipher = "TLS_AES_256_GCM_SHA384";
  https.tls.alpn = "h2";
  https.tls.server_name = "www.example.com";
  https.tls.chain = {leaf};
  https.tls.verified_chain = {leaf};
  https.tls.verify_result = 0;
  https.timings = {Micros(1234), Micros(2345), Micros(3456), Micros(4567), Micros(567), Micros(12345)};

  CheckResult http = sample("http", "http://www.example.com/");
  http.http = https.http;
  http.http.version = "1.1";
  http.http.final_url = http.target;
  http.timings = {Micros(1234), Micros(2345), std::nullopt, Micros(4567), Micros(567), Micros(12345)};

  std::string out;
  for (const CheckResult* r : {&https, &http}) out += "[" + checks::result_line(*r, &context) + "]";
  return out;
}

ResultStore::ResultStore() : packer_(result_dictionary()) {}

void ResultStore::record(const std::string& monitor, std::string_view results_json, bool failed,
                         std::chrono::system_clock::time_point now) {
  std::string packed = packer_.pack(results_json);
  Entry& e = entries_[monitor];
  if (failed) {
    Earlier& before = earlier(e);
    std::string().swap(before.last_failure);  // `last` is the last failure now
    before.failed_at = now;
    before.last_failed = true;
  } else if (e.last_failed()) {
    e.earlier->last_failure = std::move(e.last);
    e.earlier->last_failed = false;
  }
  e.last = std::move(packed);
}

void ResultStore::record_diagnosis(const std::string& monitor, std::string_view diagnosis_json) {
  auto it = entries_.find(monitor);
  if (it == entries_.end()) return;
  earlier(it->second).last_diagnosis = packer_.pack(diagnosis_json);
}

ResultStore::Earlier& ResultStore::earlier(Entry& e) {
  if (!e.earlier) e.earlier = std::make_unique<Earlier>();
  return *e.earlier;
}

void ResultStore::forget(const std::string& monitor) { entries_.erase(monitor); }

std::string ResultStore::to_text(std::chrono::system_clock::time_point now) const {
  std::string out;
  Cursor c;
  render_some(c, out, entries_.size() + 1, now);
  return out;
}

bool ResultStore::render_some(Cursor& c, std::string& out, std::size_t budget,
                              std::chrono::system_clock::time_point now) const {
  // The stored texts are pasted in as they were given: no parse and no re-serialisation per request.
  auto paste = [&](const std::string& packed) {
    if (!packer_.unpack_into(packed, out)) out += "null";  // never: the packer made it
  };
  if (!c.opened) out += "{";
  c.opened = true;
  const auto from = c.after ? entries_.upper_bound(*c.after) : entries_.begin();
  auto it = from;
  for (; it != entries_.end() && budget > 0; ++it, --budget) {
    const auto& [name, e] = *it;
    static const std::string kNone;
    const std::string& failure = e.last_failed() ? e.last : e.earlier ? e.earlier->last_failure : kNone;
    bool keep = !failure.empty() && now - e.earlier->failed_at < kKeepFailures;
    if (it != from || c.after) out += ",\n";
    out += checks::json_text(name);
    out += ":{\"last\":";
    paste(e.last);
    out += ",\"last_failure\":";
    if (keep)
      paste(failure);
    else
      out += "null";
    out += ",\"last_diagnosis\":";
    if (!e.earlier || e.earlier->last_diagnosis.empty())
      out += "null";
    else
      paste(e.earlier->last_diagnosis);
    out += "}";
  }
  if (it != from) c.after = std::prev(it)->first;  // the name copied once a step
  if (it != entries_.end()) return false;
  out += "}\n";
  return true;
}

}  // namespace prober::report
