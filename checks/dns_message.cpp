#include "checks/dns_message.h"

#include <sys/socket.h>

#include <array>
#include <utility>

#include "io/socket_address.h"

namespace prober::checks {
namespace {

constexpr std::array<std::pair<int, std::string_view>, 11> kTypes{{
    {1, "A"},
    {2, "NS"},
    {5, "CNAME"},
    {6, "SOA"},
    {12, "PTR"},
    {15, "MX"},
    {16, "TXT"},
    {28, "AAAA"},
    {33, "SRV"},
    {257, "CAA"},
    {255, "ANY"},
}};
constexpr std::array<std::string_view, 11> kRcodes{"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                                   "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
constexpr std::size_t kMaxAnswers = 4096;

class Reader {
 public:
  Reader(const unsigned char* data, std::size_t size) : data_(data), size_(size) {}

  bool u8(unsigned& out) {
    if (pos_ + 1 > size_) return false;
    out = data_[pos_++];
    return true;
  }
  bool u16(unsigned& out) {
    if (pos_ + 2 > size_) return false;
    out = (unsigned{data_[pos_]} << 8) | data_[pos_ + 1];
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& out) {
    unsigned hi = 0, lo = 0;
    if (!u16(hi) || !u16(lo)) return false;
    out = (std::uint32_t{hi} << 16) | lo;
    return true;
  }
  bool bytes(std::size_t n, std::string& out) {
    if (pos_ + n > size_) return false;
    out.assign(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return true;
  }
  // A possibly compressed name. Pointers may only go backwards, which also rules out loops.
  bool name(std::string& out) {
    out.clear();
    std::size_t at = pos_;
    bool jumped = false;
    for (int labels = 0; labels < 128; ++labels) {
      if (at >= size_) return false;
      unsigned length = data_[at];
      if ((length & 0xc0) == 0xc0) {
        if (at + 1 >= size_) return false;
        std::size_t target = ((length & 0x3f) << 8) | data_[at + 1];
        if (target >= at) return false;
        if (!jumped) pos_ = at + 2;
        jumped = true;
        at = target;
        continue;
      }
      if (length & 0xc0) return false;  // reserved label types
      if (length == 0) {
        if (!jumped) pos_ = at + 1;
        if (out.empty()) out = ".";
        return out.size() <= 255;
      }
      if (at + 1 + length > size_) return false;
      out.append(reinterpret_cast<const char*>(data_ + at + 1), length);
      out.push_back('.');
      at += 1 + length;
    }
    return false;
  }
  std::size_t pos() const { return pos_; }
  void seek(std::size_t p) { pos_ = p; }

 private:
  const unsigned char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// rdata in presentation form; false when it does not parse as its type says.
bool format_rdata(Reader& r, int type, std::size_t end, std::string& out) {
  unsigned a = 0, b = 0, c = 0;
  std::string text;
  switch (type) {
    case 1:
    case 28: {
      std::size_t want = type == 1 ? 4 : 16;
      if (end - r.pos() != want || !r.bytes(want, text)) return false;
      out = io::address_text(type == 1 ? AF_INET : AF_INET6, text.data());
      return true;
    }
    case 2:
    case 5:
    case 12:
      return r.name(out) && r.pos() == end;
    case 15:
      if (!r.u16(a) || !r.name(text) || r.pos() != end) return false;
      out = std::to_string(a) + " " + text;
      return true;
    case 16:
      while (r.pos() < end) {
        if (!r.u8(a) || r.pos() + a > end || !r.bytes(a, text)) return false;
        out += (out.empty() ? "" : " ") + quoted(text);
      }
      return true;
    case 6: {
      std::string mname, rname;
      std::uint32_t values[5];
      if (!r.name(mname) || !r.name(rname)) return false;
      for (auto& v : values) {
        if (!r.u32(v)) return false;
      }
      out = mname + " " + rname;
      for (auto v : values) out += " " + std::to_string(v);
      return r.pos() == end;
    }
    case 33:
      if (!r.u16(a) || !r.u16(b) || !r.u16(c) || !r.name(text) || r.pos() != end) return false;
      out = std::to_string(a) + " " + std::to_string(b) + " " + std::to_string(c) + " " + text;
      return true;
    case 257: {
      std::string tag, value;
      if (!r.u8(a) || !r.u8(b) || r.pos() + b > end || !r.bytes(b, tag)) return false;
      if (!r.bytes(end - r.pos(), value)) return false;
      out = std::to_string(a) + " " + tag + " " + quoted(value);
      return true;
    }
    default: {  // RFC 3597 generic form
      if (!r.bytes(end - r.pos(), text)) return false;
      static const char digits[] = "0123456789abcdef";
      out = "\\# " + std::to_string(text.size()) + " ";
      for (unsigned char ch : text) {
        out.push_back(digits[ch >> 4]);
        out.push_back(digits[ch & 0xf]);
      }
      return true;
    }
  }
}

// `count` resource records of one section; the error names the section and the record.
std::optional<std::string> read_records(Reader& r, std::size_t size, unsigned count, const char* section,
                                        std::vector<DnsRecord>& out) {
  for (unsigned i = 0; i < count; ++i) {
    DnsRecord record;
    unsigned type = 0, klass = 0, rdlength = 0;
    std::string which = std::string(section) + " record " + std::to_string(i + 1);
    if (!r.name(record.name) || !r.u16(type) || !r.u16(klass) || !r.u32(record.ttl) || !r.u16(rdlength)) {
      return "malformed " + which + " of " + std::to_string(count);
    }
    std::size_t end = r.pos() + rdlength;
    if (end > size) return which + " runs past the message";
    record.type = static_cast<int>(type);
    if (!format_rdata(r, record.type, end, record.data)) {
      return "malformed " + dns_type_name(record.type) + " data in " + which;
    }
    r.seek(end);
    out.push_back(std::move(record));
  }
  return std::nullopt;
}

}  // namespace

std::variant<DnsMessage, std::string> parse_dns_message(const unsigned char* data, std::size_t size) {
  Reader r(data, size);
  unsigned id = 0, flags = 0, qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  if (!r.u16(id) || !r.u16(flags) || !r.u16(qdcount) || !r.u16(ancount) || !r.u16(nscount) || !r.u16(arcount)) {
    return std::string("answer shorter than a DNS header (" + std::to_string(size) + " bytes)");
  }
  if (!(flags & 0x8000)) return std::string("message is a query, not a response");
  DnsMessage message;
  message.rcode = static_cast<int>(flags & 0xf);
  message.truncated = flags & 0x0200;
  message.authoritative = flags & 0x0400;
  std::string name;
  for (unsigned i = 0; i < qdcount; ++i) {
    unsigned qtype = 0, qclass = 0;
    if (!r.name(name) || !r.u16(qtype) || !r.u16(qclass)) return std::string("malformed question section");
  }
  if (ancount > kMaxAnswers) return std::string("answer claims " + std::to_string(ancount) + " records");
  if (nscount > kMaxAnswers) return std::string("authority section claims " + std::to_string(nscount) + " records");
  if (auto error = read_records(r, size, ancount, "answer", message.answers)) return *error;
  // The authority section says which zone answered (its SOA with NXDOMAIN or no data, its NS
  // on a referral): what the diagnostics' search for the authoritative servers reads.
  if (auto error = read_records(r, size, nscount, "authority", message.authority)) return *error;
  return message;
}

std::optional<int> dns_type_from_name(std::string_view name) {
  for (const auto& [value, text] : kTypes) {
    if (text == name) return value;
  }
  return std::nullopt;
}

std::string dns_type_name(int type) {
  for (const auto& [value, text] : kTypes) {
    if (value == type) return std::string(text);
  }
  return "TYPE" + std::to_string(type);
}

std::string dns_rcode_name(int rcode) {
  if (rcode >= 0 && static_cast<std::size_t>(rcode) < kRcodes.size()) return std::string(kRcodes[rcode]);
  return "RCODE" + std::to_string(rcode);
}

std::optional<int> dns_rcode_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kRcodes.size(); ++i) {
    if (kRcodes[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

}  // namespace prober::checks
