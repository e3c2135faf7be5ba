#pragma once
// The loop's I/O that checks are built with: the wiring (agent, `prober check`, benches) owns
// all of it and keeps it alive longer than every check and run made with it.
#include "checks/hold_ups.h"
#include "checks/tls_contexts.h"
#include "io/ares_resolver.h"
#include "io/curl_multi_driver.h"

namespace prober::checks {

class CompiledExpects;  // compiled_expects.h

struct CheckEnv {
  io::CurlMultiDriver& curl;
  io::ResolverPool& resolvers;
  TlsContexts& tls;  // one SSL_CTX per TLS setting, shared by every HTTPS and TLS check
  // Compiled expectations shared by the checks of equal ones (the agent's many monitors); null:
  // each check compiles its own.
  CompiledExpects* expects = nullptr;
  // The agent's own hold-ups, which a check's timings include: a response-time threshold is held
  // against the time without them. Null: none are known (the time is taken as it is).
  const HoldUps* hold_ups = nullptr;
};

}  // namespace prober::checks
