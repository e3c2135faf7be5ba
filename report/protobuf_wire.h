#pragma once
// Protobuf's wire format (protobuf.dev/programming-guides/encoding), the pieces a sender of
// small fixed messages needs, written straight into a string: no message objects to build,
// copy and free for every run. Fields are written in field-number order and proto3 defaults
// (0, empty) are left out, as protobuf's own serializer does, so the bytes are the same.
#include <cstdint>
#include <string>
#include <string_view>

namespace prober::report::wire {

enum class WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };

std::size_t varint_size(std::uint64_t v);
void put_varint(std::string& out, std::uint64_t v);
void put_tag(std::string& out, std::uint32_t field, WireType type);

// What a length-delimited field (a string or a nested message of `size` bytes) takes, tag included.
std::size_t field_size(std::uint32_t field, std::size_t size);
// A string field; left out when empty.
std::size_t string_field_size(std::uint32_t field, std::string_view value);
void put_string(std::string& out, std::uint32_t field, std::string_view value);
// A nested message's tag and length: its `size` bytes are written next.
void put_message_header(std::string& out, std::uint32_t field, std::size_t size);
// A double field; left out when +0.0 (-0.0 is written: its bits are not the default's).
std::size_t double_field_size(std::uint32_t field, double value);
void put_double(std::string& out, std::uint32_t field, double value);
// An int64 field (a negative value takes ten bytes); left out when 0.
std::size_t int64_field_size(std::uint32_t field, std::int64_t value);
void put_int64(std::string& out, std::uint32_t field, std::int64_t value);

}  // namespace prober::report::wire
