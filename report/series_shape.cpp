#include "report/series_shape.h"

#include "checks/cert_info.h"
#include "report/protobuf_wire.h"

namespace prober::report {
namespace {

constexpr std::uint8_t kChainExpiry = 1;     // an earliest_expiry of the chain as sent
constexpr std::uint8_t kVerifiedExpiry = 2;  // of the verified chain

void put_text(std::string& out, std::string_view text) {
  wire::put_varint(out, text.size());
  out.append(text);
}

// Reads what put_text and push_back wrote, in order. The text is the shape's own, written by
// the constructor: never damaged, so a read past its end is a bug, and gives empty values.
class Reader {
 public:
  explicit Reader(std::string_view packed) : rest_(packed) {}
  bool done() const { return rest_.empty(); }
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  std::string_view text() {
    std::uint64_t size = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = byte();
      size |= std::uint64_t{b & 0x7fU} << shift;
      if ((b & 0x80U) == 0) break;
    }
    std::string_view t = rest_.substr(0, size);
    rest_.remove_prefix(t.size());
    return t;
  }

 private:
  std::string_view rest_;
};

}  // namespace

SeriesShape::SeriesShape(const std::vector<checks::CheckResult>& results, std::string_view target, bool per_address) {
  packed_.push_back(per_address ? 1 : 0);
  put_text(packed_, target);
  for (const auto& r : results) {
    put_text(packed_, r.type);
    put_text(packed_, r.address);
    put_text(packed_, r.tls.version.value_or(""));
    packed_.push_back(static_cast<char>(r.ip_version));
    packed_.push_back(static_cast<char>(r.failure.failure_class));
    packed_.push_back(static_cast<char>(r.failure.phase));
    std::uint8_t expiry = (checks::earliest_expiry(r.tls.chain) ? kChainExpiry : 0) |
                          (checks::earliest_expiry(r.tls.verified_chain) ? kVerifiedExpiry : 0);
    packed_.push_back(static_cast<char>(expiry));
  }
  packed_.shrink_to_fit();
}

std::vector<ProbeSample> SeriesShape::samples(const std::string& monitor) const {
  Reader in(packed_);
  bool per_address = in.byte() != 0;
  std::string target(in.text());
  // Results with only what each_probe_series reads to decide the series and their labels.
  std::vector<checks::CheckResult> results;
  while (!in.done()) {
    checks::CheckResult& r = results.emplace_back();
    r.type = in.text();
    r.address = in.text();
    if (auto version = in.text(); !version.empty()) r.tls.version = std::string(version);
    r.ip_version = in.byte();
    r.failure.failure_class = static_cast<checks::FailureClass>(in.byte());
    r.failure.phase = static_cast<checks::Phase>(in.byte());
    std::uint8_t expiry = in.byte();
    if ((expiry & kChainExpiry) != 0) r.tls.chain.resize(1);
    if ((expiry & kVerifiedExpiry) != 0) r.tls.verified_chain.resize(1);
  }
  if (results.empty()) return {};
  return probe_samples(probe_base_labels(monitor, results, target), results, per_address);
}

}  // namespace prober::report
