#include "config/enum_names.h"

#include <algorithm>

#include <utility>

namespace prober::config {
namespace {

constexpr std::pair<CheckType, std::string_view> kCheckTypes[] = {
    {CheckType::kHttp, "http"}, {CheckType::kTls, "tls"}, {CheckType::kTcp, "tcp"}, {CheckType::kDns, "dns"}};
constexpr std::pair<IpVersion, std::string_view> kIpVersions[] = {
    {IpVersion::kAny, "any"}, {IpVersion::kV4, "4"}, {IpVersion::kV6, "6"}, {IpVersion::kEach, "each"}};

template <typename Enum, std::size_t N>
std::string_view name_of(const std::pair<Enum, std::string_view> (&table)[N], Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::pair<Enum, std::string_view> (&table)[N], std::string_view text) {
  for (const auto& [v, name] : table) {
    if (name == text) return v;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::vector<std::string_view> names(const std::pair<Enum, std::string_view> (&table)[N]) {
  std::vector<std::string_view> out;
  for (const auto& entry : table) out.push_back(entry.second);
  return out;
}

}  // namespace

std::string_view to_string(CheckType type) { return name_of(kCheckTypes, type); }
std::optional<CheckType> check_type_from(std::string_view text) { return value_of(kCheckTypes, text); }
std::vector<std::string_view> check_type_names() { return names(kCheckTypes); }
std::string_view to_string(IpVersion version) { return name_of(kIpVersions, version); }
std::optional<IpVersion> ip_version_from(std::string_view text) { return value_of(kIpVersions, text); }
std::vector<std::string_view> ip_version_names() { return names(kIpVersions); }

const std::vector<std::string_view>& downgrade_policies() {
  static const std::vector<std::string_view> kPolicies{"warning", "critical", "ignore"};
  return kPolicies;
}

const std::vector<std::string_view>& tls_hygiene_items() {
  static const std::vector<std::string_view> kItems{"old_version", "no_forward_secrecy", "cbc", "sha1", "small_rsa"};
  return kItems;
}

bool is_one_of(std::string_view value, const std::vector<std::string_view>& allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

std::string one_of_text(const std::vector<std::string_view>& allowed) {
  std::string out;
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + std::string(allowed[i]);
  }
  return out;
}

}  // namespace prober::config
