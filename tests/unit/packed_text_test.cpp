// Packed texts come back byte for byte, and a result line keeps in a fraction of its size.
#include <doctest/doctest.h>

#include <string>

#include "checks/check_result_json.h"
#include "report/packed_text.h"
#include "report/result_store.h"

using prober::report::TextPacker;

namespace {

std::string unpacked(const TextPacker& packer, const std::string& packed) {
  std::string out = "prefix:";
  REQUIRE(packer.unpack_into(packed, out));
  REQUIRE(out.rfind("prefix:", 0) == 0);
  return out.substr(7);
}

}  // namespace

TEST_CASE("texts come back exactly as they were packed, one after another") {
  TextPacker packer(R"([{"address":"192.0.2.1","class":"ok","status":"ok","timings_ms":{"total":1.5}}])");
  std::string big;
  for (int i = 0; i < 20000; ++i) big += R"({"n":)" + std::to_string(i * 7919 % 1000) + "},";
  const std::string texts[] = {
      R"([{"address":"192.0.2.1","class":"ok","status":"ok","timings_ms":{"total":2.5}}])",
      R"([{"address":"2001:db8::1","class":"tcp_refused","message":"caf\u00e9 \"quoted\""}])",
      "[1]",
      big,  // larger than the window: matches only within itself
      std::string("[\"\xff\xfe binary\"]"),
  };
  std::string packed[std::size(texts)];
  for (std::size_t i = 0; i < std::size(texts); ++i) packed[i] = packer.pack(texts[i]);
  for (std::size_t i = 0; i < std::size(texts); ++i) CHECK(unpacked(packer, packed[i]) == texts[i]);
  CHECK(packed[0].size() < 30);  // all but one digit is in the dictionary
  CHECK(packed[3].size() < big.size() / 4);
  CHECK(packed[2] == "[1]");  // packing would not make it smaller: kept as it is
  CHECK(packer.pack("").empty());
  CHECK(unpacked(packer, "") == "");
}

TEST_CASE("a packed form it did not make is refused, not read past its end") {
  TextPacker packer("dictionary");
  std::string packed = packer.pack(std::string(1000, 'a'));
  REQUIRE(packed.size() < 100);
  std::string out;
  CHECK_FALSE(packer.unpack_into(packed.substr(0, packed.size() - 2), out));  // cut short
  CHECK(out.empty());
  std::string longer = packed;
  longer[1] = static_cast<char>(0xff);  // says it holds more than it does
  CHECK_FALSE(packer.unpack_into(longer, out));
  CHECK_FALSE(packer.unpack_into(std::string("\x01\x02", 2), out));
  CHECK(out.empty());
}

TEST_CASE("a monitor's result line keeps in a fraction of its size") {
  prober::checks::CheckResult r;
  r.monitor = "shop-checkout";
  r.type = "http";
  r.target = "https://shop.example.net/checkout/health";
  r.address = "203.0.113.7";
  r.ip_version = 4;
  r.message = "HTTP 200 in 48.2 ms";
  r.http.status = 200;
  r.http.version = "2";
  r.http.final_url = r.target;
  r.timings.total = std::chrono::microseconds(48213);
  std::string vantage = "eu-west-1a", region = "eu-west";
  prober::checks::ResultLineContext context{vantage, region, 123456};
  std::string line = "[" + prober::checks::result_line(r, &context) + "]";

  TextPacker packer(prober::report::result_dictionary());
  std::string packed = packer.pack(line);
  MESSAGE(line.size(), " bytes packed to ", packed.size());
  CHECK(packed.size() < line.size() / 3);
  CHECK(unpacked(packer, packed) == line);

  prober::report::ResultStore store;
  store.record("m", line, false, std::chrono::system_clock::now());
  CHECK(store.to_text(std::chrono::system_clock::now()).find(line) != std::string::npos);
}
