#pragma once
// The OpenSSL library context the checks' TLS contexts are made in.
//
// OpenSSL 3.0 parses a certificate's public key by building a decoder chain from every decoder
// it has (OSSL_DECODER_CTX_new_for_pkey), anew for each certificate: ~830 000 instructions of a
// ~1.1 million instruction certificate parse, and a server sends two or three certificates per
// handshake. 3.1 caches that work. On 3.0 the checks' contexts live in a library context whose
// only provider passes every operation through to OpenSSL's default provider, except that it
// offers just the decoders a certificate's public key needs (DER SubjectPublicKeyInfo): the same
// algorithms, the same verification and errors, ~40 % less work per certificate parsed.
typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;

namespace prober::checks {

// The lean context on OpenSSL 3.0 (made once, on first use, kept for the process's life: the
// shared TLS contexts made in it may live until exit); null, OpenSSL's default context, on
// later versions or when it cannot be made.
OSSL_LIB_CTX* tls_check_library();

}  // namespace prober::checks
