#pragma once
// The loop's I/O that checks are built with: the wiring (agent, `prober check`, benches) owns
// both and keeps them alive longer than every check and run made with them.
#include "io/ares_resolver.h"
#include "io/curl_multi_driver.h"

namespace prober::checks {

struct CheckEnv {
  io::CurlMultiDriver& curl;
  io::ResolverPool& resolvers;
};

}  // namespace prober::checks
