#include "checks/tls_library.h"

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include <cstring>
#include <vector>

namespace prober::checks {
namespace {

constexpr unsigned long kDecoderCacheVersion = 0x30100000L;  // OpenSSL 3.1.0

// The provider's state: OpenSSL's default provider, loaded in a library context of its own, and
// the part of its decoder list that is kept. Set once, before the provider is loaded.
struct Passthrough {
  OSSL_PROVIDER* inner = nullptr;
  std::vector<OSSL_ALGORITHM> decoders;  // ends with an all-null entry, as OpenSSL wants
};

Passthrough& state() {
  static Passthrough s;
  return s;
}

const OSSL_ALGORITHM* query(void*, int operation, int* no_cache) {
  if (operation == OSSL_OP_DECODER) {
    *no_cache = 0;
    return state().decoders.data();
  }
  return OSSL_PROVIDER_query_operation(state().inner, operation, no_cache);
}

void unquery(void*, int operation, const OSSL_ALGORITHM* algorithms) {
  if (operation != OSSL_OP_DECODER) OSSL_PROVIDER_unquery_operation(state().inner, operation, algorithms);
}

// libssl asks providers which TLS groups and signature algorithms they offer.
int capabilities(void*, const char* capability, OSSL_CALLBACK* callback, void* arg) {
  return OSSL_PROVIDER_get_capabilities(state().inner, capability, callback, arg);
}

const OSSL_PARAM* gettable_params(void*) { return OSSL_PROVIDER_gettable_params(state().inner); }
int get_params(void*, OSSL_PARAM params[]) { return OSSL_PROVIDER_get_params(state().inner, params); }
void teardown(void*) {}

template <typename F>
void (*function(F* f))(void) {
  return reinterpret_cast<void (*)(void)>(f);
}

const OSSL_DISPATCH kDispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, function(&query)},
    {OSSL_FUNC_PROVIDER_UNQUERY_OPERATION, function(&unquery)},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, function(&capabilities)},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, function(&gettable_params)},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, function(&get_params)},
    {OSSL_FUNC_PROVIDER_TEARDOWN, function(&teardown)},
    {0, nullptr},
};

int init(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out, void** provider_context) {
  // The default provider's algorithms are handed out as they are, so they are called with its
  // own provider context (and fetch what they need in its library context).
  *provider_context = OSSL_PROVIDER_get0_provider_ctx(state().inner);
  *out = kDispatch;
  return 1;
}

OSSL_LIB_CTX* make() {
  if (OpenSSL_version_num() >= kDecoderCacheVersion) return nullptr;
  OSSL_LIB_CTX* inner_library = OSSL_LIB_CTX_new();
  Passthrough& s = state();
  s.inner = inner_library ? OSSL_PROVIDER_load(inner_library, "default") : nullptr;
  if (!s.inner) return nullptr;
  int no_cache = 0;
  for (const OSSL_ALGORITHM* a = OSSL_PROVIDER_query_operation(s.inner, OSSL_OP_DECODER, &no_cache);
       a && a->algorithm_names; ++a) {
    if (a->property_definition && std::strstr(a->property_definition, "input=der,structure=SubjectPublicKeyInfo"))
      s.decoders.push_back(*a);
  }
  s.decoders.push_back(OSSL_ALGORITHM{nullptr, nullptr, nullptr, nullptr});
  OSSL_LIB_CTX* lean = OSSL_LIB_CTX_new();
  if (!lean || OSSL_PROVIDER_add_builtin(lean, "prober-certificate-decoders", &init) != 1 ||
      !OSSL_PROVIDER_load(lean, "prober-certificate-decoders")) {
    return nullptr;  // the default context then; what was made is kept, like the lean context
  }
  return lean;
}

}  // namespace

OSSL_LIB_CTX* tls_check_library() {
  static OSSL_LIB_CTX* const library = [] {
    OSSL_LIB_CTX* made = make();
    ERR_clear_error();  // a failure here only means the default context
    return made;
  }();
  return library;
}

}  // namespace prober::checks
