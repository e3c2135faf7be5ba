#include "report/result_store.h"

#include <cstdint>
#include <functional>
#include <iterator>
#include <utility>

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

// The index of the quote that closes the JSON string opening at `at`, or npos.
std::size_t string_end(std::string_view json, std::size_t at) {
  for (std::size_t i = at + 1; i < json.size(); ++i) {
    if (json[i] == '\\')
      ++i;
    else if (json[i] == '"')
      return i;
  }
  return std::string_view::npos;
}

// Where the first result's "tls" object is in a results array's text ([{...,"tls":{...},...}]):
// its first and one-past-last byte; {0, 0} when there is none. A member of a result is a key at
// depth 2; a key is the only string a ':' follows.
std::pair<std::size_t, std::size_t> first_tls_object(std::string_view json) {
  constexpr std::string_view kKey = R"("tls":{)";
  int depth = 0;
  std::size_t object = std::string_view::npos;  // where the object opens, once found
  int object_depth = 0;
  for (std::size_t i = 0; i < json.size(); ++i) {
    char ch = json[i];
    if (ch == '"') {
      if (object == std::string_view::npos && depth == 2 && json.substr(i, kKey.size()) == kKey) {
        object = i + kKey.size() - 1;
        object_depth = depth;
      }
      i = string_end(json, i);
      if (i == std::string_view::npos) return {0, 0};
    } else if (ch == '{' || ch == '[') {
      ++depth;
    } else if (ch == '}' || ch == ']') {
      if (--depth == object_depth && object != std::string_view::npos) return {object, i + 1};
    }
  }
  return {0, 0};
}

// Of packed facts: never 0, which says "none" in a Held.
std::uint32_t facts_hash(std::string_view packed) {
  std::size_t h = std::hash<std::string_view>{}(packed);
  auto folded = static_cast<std::uint32_t>(h ^ (static_cast<std::uint64_t>(h) >> 32));
  return folded == 0 ? 1 : folded;
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

ResultStore::Held ResultStore::hold(std::string_view text, const Entry& holder) {
  // An HTTP result's facts without TLS (~170 bytes of nulls) pack to a few bytes in the text:
  // not worth a second deflate.
  constexpr std::size_t kWorthSharing = 256;
  Held held;
  auto [from, to] = first_tls_object(text);
  if (to - from < kWorthSharing || to > UINT32_MAX) {
    held.packed = packer_.pack(text);
    return held;
  }
  std::string facts = packer_.pack(text.substr(from, to - from));  // the same facts pack the same
  auto found = tls_facts_.find(std::string_view(facts));
  if (found == tls_facts_.end()) {
    // Facts no other monitor's result has had (a site only one monitor checks) stay in the text:
    // one deflate and one allocation instead of two and a set node, ~230 bytes less for such a
    // monitor. A second monitor with the same facts shares them from then on (and the first from
    // its next run).
    std::uint32_t hash = facts_hash(facts);
    bool own = holder.last.lone_facts == hash || (holder.earlier && holder.earlier->last_failure.lone_facts == hash);
    if (own || !lone_facts_.contains(hash)) {
      if (lone_facts_.size() >= 2 * lone_swept_size_ + 64) sweep_lone_facts();
      lone_facts_.insert(hash);
      held.packed = packer_.pack(text);
      held.lone_facts = hash;
      return held;
    }
    if (tls_facts_.size() >= 2 * swept_size_ + 64) {
      std::erase_if(tls_facts_, [](const LabelText& t) { return t.use_count() == 1; });  // only the set's
      swept_size_ = tls_facts_.size();
    }
    found = tls_facts_.emplace(facts).first;
  }
  std::string rest;
  rest.reserve(text.size() - (to - from));
  rest.append(text.substr(0, from)).append(text.substr(to));
  held.packed = packer_.pack(rest);
  held.tls = *found;
  held.tls_at = static_cast<std::uint32_t>(from);
  return held;
}

// The lone facts still held: those the results hold now (a hash an earlier result left is gone).
void ResultStore::sweep_lone_facts() {
  lone_facts_.clear();
  for (const auto& [name, e] : entries_) {
    if (e.last.lone_facts) lone_facts_.insert(e.last.lone_facts);
    if (e.earlier && e.earlier->last_failure.lone_facts) lone_facts_.insert(e.earlier->last_failure.lone_facts);
  }
  lone_swept_size_ = lone_facts_.size();
}

void ResultStore::paste(const Held& held, std::string& out) const {
  std::size_t at = out.size();
  if (!packer_.unpack_into(held.packed, out)) {
    out += "null";  // never: the packer made it
    return;
  }
  if (!held.tls) return;
  std::string facts;
  if (!packer_.unpack_into(*held.tls, facts) || at + held.tls_at > out.size()) facts = "null";  // never, as above
  out.insert(at + held.tls_at, facts);
}

void ResultStore::record(const std::string& monitor, std::string_view results_json, bool failed,
                         std::chrono::system_clock::time_point now) {
  // Held before a new monitor's entry exists: an entry is never left without a result.
  auto found = entries_.find(monitor);
  static const Entry kNone;
  Held held = hold(results_json, found != entries_.end() ? found->second : kNone);
  Entry& e = found != entries_.end() ? found->second : entries_[monitor];
  if (failed) {
    Earlier& before = earlier(e);
    before.last_failure = Held{};  // `last` is the last failure now
    before.failed_at = now;
    before.last_failed = true;
  } else if (e.last_failed()) {
    e.earlier->last_failure = std::move(e.last);
    e.earlier->last_failed = false;
  }
  e.last = std::move(held);
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
  if (!c.opened) out += "{";
  c.opened = true;
  const auto from = c.after ? entries_.upper_bound(*c.after) : entries_.begin();
  auto it = from;
  for (; it != entries_.end() && budget > 0; ++it, --budget) {
    const auto& [name, e] = *it;
    static const Held kNone;
    const Held& failure = e.last_failed() ? e.last : e.earlier ? e.earlier->last_failure : kNone;
    bool keep = !failure.empty() && now - e.earlier->failed_at < kKeepFailures;
    if (it != from || c.after) out += ",\n";
    out += checks::json_text(name);
    out += ":{\"last\":";
    paste(e.last, out);
    out += ",\"last_failure\":";
    if (keep)
      paste(failure, out);
    else
      out += "null";
    out += ",\"last_diagnosis\":";
    // (unpack_into fails never: the packer made what it is given)
    if (!e.earlier || e.earlier->last_diagnosis.empty() || !packer_.unpack_into(e.earlier->last_diagnosis, out))
      out += "null";
    out += "}";
  }
  if (it != from) c.after = std::prev(it)->first;  // the name copied once a step
  if (it != entries_.end()) return false;
  out += "}\n";
  return true;
}

}  // namespace prober::report
