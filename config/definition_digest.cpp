#include "config/definition_digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <string>

namespace prober::config {

DefinitionDigest digest_definition(std::string_view text) {
  unsigned char full[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), full, &size, EVP_sha256(), nullptr);
  DefinitionDigest out{};
  std::copy_n(full, out.size(), out.begin());
  return out;
}

DefinitionDigest extend_digest(const DefinitionDigest& digest, std::string_view more) {
  std::string text(digest.begin(), digest.end());
  text.append(more);
  return digest_definition(text);
}

}  // namespace prober::config
