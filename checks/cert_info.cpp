#include "checks/cert_info.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cmath>
#include <ctime>
#include <memory>
#include <unordered_map>

#include "io/openssl_handles.h"
#include "io/socket_address.h"

namespace prober::checks {
namespace {

std::string one_line(const X509_NAME* name) {
  io::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return "";
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string common_name(const X509_NAME* name) {
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

std::int64_t unix_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string hex(const unsigned char* data, unsigned int length) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  int family = ip->length == 4 ? AF_INET : ip->length == 16 ? AF_INET6 : AF_UNSPEC;
  if (family != AF_UNSPEC) return io::address_text(family, ip->data);
  return "IP:" + hex(ip->data, static_cast<unsigned int>(ip->length));  // not one address: its bytes
}

}  // namespace

CertInfo cert_info(X509* cert) {
  CertInfo info;
  info.subject = one_line(X509_get_subject_name(cert));
  info.issuer = one_line(X509_get_issuer_name(cert));
  info.subject_cn = common_name(X509_get_subject_name(cert));
  info.issuer_cn = common_name(X509_get_issuer_name(cert));
  info.not_before = unix_time(X509_get0_notBefore(cert));
  info.not_after = unix_time(X509_get0_notAfter(cert));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &digest_length) == 1) info.sha256 = hex(digest, digest_length);
  info.is_ca = X509_check_ca(cert) > 0;
  info.self_issued = X509_check_issued(cert, cert) == X509_V_OK;

  io::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      info.dns_names.emplace_back(reinterpret_cast<const char*>(dns->data), static_cast<std::size_t>(dns->length));
    } else if (name->type == GEN_IPADD) {
      info.dns_names.push_back(ip_text(name->d.iPAddress));
    }
  }

  io::AuthorityInfoAccessPtr aia(
      static_cast<AUTHORITY_INFO_ACCESS*>(X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr)));
  for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia.get()); ++i) {
    const ACCESS_DESCRIPTION* access = sk_ACCESS_DESCRIPTION_value(aia.get(), i);
    if (OBJ_obj2nid(access->method) == NID_ad_ca_issuers && access->location->type == GEN_URI) {
      const ASN1_IA5STRING* uri = access->location->d.uniformResourceIdentifier;
      info.ca_issuers_url =
          std::string(reinterpret_cast<const char*>(uri->data), static_cast<std::size_t>(uri->length));
      break;
    }
  }

  if (const EVP_PKEY* key = X509_get0_pubkey(cert)) {
    info.key_bits = EVP_PKEY_get_bits(key);
    const char* type = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
    info.key_type = type ? type : "";
  }
  const char* signature = OBJ_nid2ln(X509_get_signature_nid(cert));
  info.signature_algorithm = signature ? signature : "";
  return info;
}

CertInfo cert_info_cached(X509* cert) {
  unsigned char* der = nullptr;
  int length = i2d_X509(cert, &der);
  if (length <= 0) return cert_info(cert);
  std::string key(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  thread_local std::unordered_map<std::string, CertInfo> seen;
  if (auto found = seen.find(key); found != seen.end()) return found->second;
  if (seen.size() >= kCachedCertificates) seen.clear();  // a fleet of distinct certificates: start over
  return seen.emplace(std::move(key), cert_info(cert)).first->second;
}

bool missing_intermediate(const std::vector<CertInfo>& sent_chain) {
  if (sent_chain.empty()) return false;
  // Follow issuer links from the leaf through what the server sent, in any order.
  const CertInfo* top = &sent_chain.front();
  for (std::size_t hops = 0; hops < sent_chain.size(); ++hops) {
    const CertInfo* next = nullptr;
    for (const auto& candidate : sent_chain) {
      if (&candidate != top && candidate.subject == top->issuer) next = &candidate;
    }
    if (!next || top->self_issued) break;
    top = next;
  }
  if (top->self_issued || top->is_ca) return false;
  // A leaf whose issuer is missing: public CAs issue from intermediates and name them in AIA.
  return top->ca_issuers_url.has_value();
}

std::optional<std::int64_t> earliest_expiry(const std::vector<CertInfo>& chain) {
  std::optional<std::int64_t> earliest;
  for (const auto& cert : chain) {
    if (!earliest || cert.not_after < *earliest) earliest = cert.not_after;
  }
  return earliest;
}

int days_left(std::int64_t not_after, std::int64_t now) {
  return static_cast<int>(std::floor(static_cast<double>(not_after - now) / 86400.0));
}

}  // namespace prober::checks
