#include "report/packed_text.h"

#include <zlib.h>

#include <cstdint>

namespace prober::report {
namespace {

// Raw deflate (no zlib header or checksum: the text never leaves this process) with an 8 KiB
// window: the dictionary and a result after it; memLevel 5 keeps the state ~40 KiB, once per
// agent.
constexpr int kWindowBits = -13;
constexpr int kMemLevel = 5;
// Level 3, deflate's fastest strategy with a longer search than level 1: an HTTPS result of 1.5 KB
// packs to 417 bytes instead of 442 in the same ~10 µs (levels 4 and up search lazily: 402 bytes
// at level 6 for ~2 µs more on every result).
constexpr int kLevel = 3;
constexpr char kPackedMark = '\x01';
constexpr std::size_t kHeader = 5;  // the mark, then the text's length (4 bytes, little-endian)

// A zlib stream, ended the way it was begun.
class ZStream {
 public:
  enum class Kind : std::uint8_t { kDeflate, kInflate };
  explicit ZStream(Kind kind) : kind_(kind) {
    int rc = kind == Kind::kDeflate ? deflateInit2(&z_, kLevel, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY)
                                    : inflateInit2(&z_, kWindowBits);
    ok_ = rc == Z_OK;
  }
  ~ZStream() {
    if (!ok_) return;
    if (kind_ == Kind::kDeflate)
      deflateEnd(&z_);
    else
      inflateEnd(&z_);
  }
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;
  bool ok() const { return ok_; }
  z_stream& stream() { return z_; }

 private:
  Kind kind_;
  z_stream z_{};
  bool ok_ = false;
};

// zlib takes its input through pointers to non-const that it never writes through.
Bytef* input(std::string_view s) { return reinterpret_cast<Bytef*>(const_cast<char*>(s.data())); }
Bytef* output(std::string& s, std::size_t at) { return reinterpret_cast<Bytef*>(s.data() + at); }

}  // namespace

struct TextPacker::Streams {
  ZStream deflater{ZStream::Kind::kDeflate};
  ZStream inflater{ZStream::Kind::kInflate};
};

TextPacker::TextPacker(std::string dictionary) : dictionary_(std::move(dictionary)) {
  // zlib hashes the whole dictionary on every pack (~4.5 ns a byte here); results of the agent's
  // lines pack no smaller with more than 1.5 KiB (819 -> 141 bytes, 955 -> 241 for a failure, at level 1).
  constexpr std::size_t kMaxDictionary = 1536;
  if (dictionary_.size() > kMaxDictionary) dictionary_.erase(0, dictionary_.size() - kMaxDictionary);
}

TextPacker::~TextPacker() = default;

std::string TextPacker::pack(std::string_view text) {
  if (text.empty() || text.size() > UINT32_MAX) return std::string(text);
  if (!streams_) streams_ = std::make_unique<Streams>();
  ZStream& d = streams_->deflater;
  if (!d.ok()) return std::string(text);
  z_stream& z = d.stream();
  if (deflateReset(&z) != Z_OK ||
      deflateSetDictionary(&z, input(dictionary_), static_cast<uInt>(dictionary_.size())) != Z_OK)
    return std::string(text);
  std::string out(kHeader + deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  out[0] = kPackedMark;
  auto n = static_cast<std::uint32_t>(text.size());
  for (std::size_t i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((n >> (8 * i)) & 0xff);
  z.next_in = input(text);
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = output(out, kHeader);
  z.avail_out = static_cast<uInt>(out.size() - kHeader);
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) return std::string(text);
  out.resize(kHeader + z.total_out);
  if (out.size() >= text.size()) return std::string(text);
  out.shrink_to_fit();  // kept until the next run
  return out;
}

bool TextPacker::unpack_into(std::string_view packed, std::string& out) const {
  if (packed.empty() || packed[0] != kPackedMark) {
    out.append(packed);
    return true;
  }
  if (packed.size() < kHeader) return false;
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < 4; ++i) n |= std::uint32_t{static_cast<unsigned char>(packed[1 + i])} << (8 * i);
  if (!streams_) streams_ = std::make_unique<Streams>();
  ZStream& inf = streams_->inflater;
  if (!inf.ok()) return false;
  z_stream& z = inf.stream();
  if (inflateReset(&z) != Z_OK ||
      inflateSetDictionary(&z, input(dictionary_), static_cast<uInt>(dictionary_.size())) != Z_OK)
    return false;
  std::size_t at = out.size();
  out.resize(at + n);
  z.next_in = input(packed.substr(kHeader));
  z.avail_in = static_cast<uInt>(packed.size() - kHeader);
  z.next_out = output(out, at);
  z.avail_out = n;
  if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.avail_out != 0) {
    out.resize(at);
    return false;
  }
  return true;
}

}  // namespace prober::report
