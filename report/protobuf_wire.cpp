#include "report/protobuf_wire.h"

#include <cstring>

namespace prober::report::wire {
namespace {

std::uint64_t bits_of(double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

std::uint32_t tag(std::uint32_t field, WireType type) { return (field << 3) | static_cast<std::uint32_t>(type); }

}  // namespace

std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_varint(std::string& out, std::uint64_t v) {
  char bytes[10];  // a 64-bit varint takes at most ten; appended at once
  std::size_t n = 0;
  while (v >= 0x80) {
    bytes[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  bytes[n++] = static_cast<char>(v);
  out.append(bytes, n);
}

void put_tag(std::string& out, std::uint32_t field, WireType type) { put_varint(out, tag(field, type)); }

std::size_t field_size(std::uint32_t field, std::size_t size) {
  return varint_size(tag(field, WireType::kLengthDelimited)) + varint_size(size) + size;
}

std::size_t string_field_size(std::uint32_t field, std::string_view value) {
  return value.empty() ? 0 : field_size(field, value.size());
}

void put_string(std::string& out, std::uint32_t field, std::string_view value) {
  if (value.empty()) return;
  put_message_header(out, field, value.size());
  out.append(value);
}

void put_message_header(std::string& out, std::uint32_t field, std::size_t size) {
  put_tag(out, field, WireType::kLengthDelimited);
  put_varint(out, size);
}

std::size_t double_field_size(std::uint32_t field, double value) {
  return bits_of(value) == 0 ? 0 : varint_size(tag(field, WireType::kFixed64)) + 8;
}

void put_double(std::string& out, std::uint32_t field, double value) {
  std::uint64_t bits = bits_of(value);
  if (bits == 0) return;
  put_tag(out, field, WireType::kFixed64);
  char bytes[8];
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((bits >> (8 * i)) & 0xff);  // little-endian
  out.append(bytes, sizeof bytes);
}

std::size_t int64_field_size(std::uint32_t field, std::int64_t value) {
  return value == 0 ? 0 : varint_size(tag(field, WireType::kVarint)) + varint_size(static_cast<std::uint64_t>(value));
}

void put_int64(std::string& out, std::uint32_t field, std::int64_t value) {
  if (value == 0) return;
  put_tag(out, field, WireType::kVarint);
  put_varint(out, static_cast<std::uint64_t>(value));
}

}  // namespace prober::report::wire
