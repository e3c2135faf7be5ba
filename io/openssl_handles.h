#pragma once
// unique_ptr ownership for OpenSSL's objects (io/c_handle.h).
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "io/c_handle.h"

namespace prober::io {

using BioPtr = CHandle<BIO, BIO_free>;
using X509Ptr = CHandle<X509, X509_free>;
using EvpPkeyPtr = CHandle<EVP_PKEY, EVP_PKEY_free>;
using GeneralNamesPtr = CHandle<GENERAL_NAMES, GENERAL_NAMES_free>;
using AuthorityInfoAccessPtr = CHandle<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free>;
using SslPtr = CHandle<SSL, SSL_free>;
using SslCtxPtr = CHandle<SSL_CTX, SSL_CTX_free>;
using X509StorePtr = CHandle<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = CHandle<X509_STORE_CTX, X509_STORE_CTX_free>;
inline void free_x509_stack(STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); }
using X509StackPtr = CHandle<STACK_OF(X509), free_x509_stack>;

}  // namespace prober::io
