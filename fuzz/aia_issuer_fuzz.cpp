// What an AIA URL serves, as a hostile server (or whoever answers for it) can make it: any bytes,
// read as DER, PKCS#7 or PEM certificates and verified with a fixed chain. Must never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "checks/aia_fetch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The leaf is garbage too: the first byte says how much of the input it takes.
  std::size_t leaf_size = size > 0 ? data[0] % (size) : 0;
  std::vector<std::string> sent;
  if (leaf_size > 0) sent.emplace_back(reinterpret_cast<const char*>(data + 1), leaf_size - 1);
  std::string issuer(reinterpret_cast<const char*>(data) + leaf_size, size - leaf_size);
  std::string issuer_cn;
  (void)prober::checks::verify_with_issuer(sent, issuer, std::nullopt, &issuer_cn);  // the system roots
  return 0;
}
