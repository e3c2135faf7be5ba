#include "diagnostics/client_hello.h"

#include <cstdio>
#include <utility>

namespace prober::diagnostics {
namespace {

class Reader {
 public:
  Reader(const unsigned char* data, std::size_t size) : data_(data), size_(size) {}
  bool skip(std::size_t n) {
    if (size_ - pos_ < n) return false;
    pos_ += n;
    return true;
  }
  bool u8(unsigned& out) {
    if (size_ - pos_ < 1) return false;
    out = data_[pos_++];
    return true;
  }
  bool u16(unsigned& out) {
    if (size_ - pos_ < 2) return false;
    out = (unsigned{data_[pos_]} << 8) | data_[pos_ + 1];
    pos_ += 2;
    return true;
  }
  // A sub-reader over the next `n` bytes.
  bool take(std::size_t n, Reader& out) {
    if (size_ - pos_ < n) return false;
    out = Reader(data_ + pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == size_; }

 private:
  const unsigned char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string group_name(unsigned id) {
  static const std::pair<unsigned, const char*> kNames[] = {{0x0017, "secp256r1"},
                                                            {0x0018, "secp384r1"},
                                                            {0x0019, "secp521r1"},
                                                            {0x001d, "x25519"},
                                                            {0x001e, "x448"},
                                                            {0x0100, "ffdhe2048"},
                                                            {0x0101, "ffdhe3072"},
                                                            {0x0102, "ffdhe4096"},
                                                            {0x0103, "ffdhe6144"},
                                                            {0x0104, "ffdhe8192"},
                                                            {0x0200, "MLKEM512"},
                                                            {0x0201, "MLKEM768"},
                                                            {0x0202, "MLKEM1024"},
                                                            {0x11eb, "SecP256r1MLKEM768"},
                                                            {0x11ec, "X25519MLKEM768"},
                                                            {0x11ed, "SecP384r1MLKEM1024"},
                                                            {0x001a, "brainpoolP256r1"},
                                                            {0x001b, "brainpoolP384r1"},
                                                            {0x001c, "brainpoolP512r1"}};
  for (const auto& [value, name] : kNames) {
    if (value == id) return name;
  }
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%04x", id & 0xffff);
  return buffer;
}

OfferedGroups offered_groups(const unsigned char* hello, std::size_t size) {
  OfferedGroups out;
  Reader r(hello, size);
  unsigned type = 0, length = 0;
  // Handshake header (type, 24-bit length), legacy_version, random.
  if (!r.u8(type) || type != 1 || !r.skip(3) || !r.skip(2 + 32)) return out;
  for (int vector = 0; vector < 3; ++vector) {  // session id (8-bit length), cipher suites (16), compression (8)
    if (vector == 1 ? !r.u16(length) : !r.u8(length)) return out;
    if (!r.skip(length)) return out;
  }
  Reader extensions(nullptr, 0);
  if (!r.u16(length) || !r.take(length, extensions)) return out;
  while (!extensions.done()) {
    unsigned ext = 0;
    Reader body(nullptr, 0);
    if (!extensions.u16(ext) || !extensions.u16(length) || !extensions.take(length, body)) return out;
    Reader list(nullptr, 0);
    if (ext == 0x000a) {  // supported_groups
      if (!body.u16(length) || !body.take(length, list)) continue;
      unsigned group = 0;
      while (list.u16(group)) out.groups.push_back(group_name(group));
    } else if (ext == 0x0033) {  // key_share: entries of (group, key length, key)
      if (!body.u16(length) || !body.take(length, list)) continue;
      unsigned group = 0;
      while (list.u16(group) && list.u16(length) && list.skip(length)) out.key_shares.push_back(group_name(group));
    }
  }
  return out;
}

}  // namespace prober::diagnostics
