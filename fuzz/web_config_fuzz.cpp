// The web configuration file's parser (YAML, every key of the exporter-toolkit format) and the
// endpoint's Authorization header parser on any bytes: a WebConfig or an error, never a crash
// or a throw.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/web_config.h"
#include "net/basic_auth.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = prober::config::parse_web_config(text, "/etc/prober");
  if (auto* error = std::get_if<std::string>(&parsed); error && error->empty()) __builtin_trap();  // says why
  if (auto* web = std::get_if<prober::config::WebConfig>(&parsed)) {
    for (const auto& [user, hash] : web->users) {
      if (!prober::config::is_bcrypt_hash(hash)) __builtin_trap();
    }
  }
  if (size < 512) (void)prober::net::parse_basic_authorization(text);
  return 0;
}
