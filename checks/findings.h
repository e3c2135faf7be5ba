#pragma once
// The problems of a probe besides the first. OpenSSL stops at the first thing wrong with a
// certificate (an untrusted chain hides an expiry and a wrong name); fixing it then only reveals
// the next. Once a probe failed on its certificate, every other check of it is made here from
// the facts captured, so the result lists them all at once.
#include <cstdint>
#include <string_view>
#include <vector>

#include "checks/check_result.h"

namespace prober::checks {

// Adds the certificate problems other than the result's class (at `now`, Unix seconds).
void add_certificate_findings(CheckResult& r, std::int64_t now);

// RFC 6125 name matching as browsers do it: case-insensitive, a wildcard only as the whole
// left-most label and matching exactly one label; IP addresses only literally.
bool certificate_matches(const CertInfo& leaf, std::string_view name);

}  // namespace prober::checks
