#include "checks/make_check.h"

#include "checks/connect_check.h"
#include "checks/dns_check.h"
#include "checks/http_check.h"

namespace prober::checks {

std::variant<std::unique_ptr<Check>, std::string> make_check(const config::MonitorConfig& monitor) {
  for (const auto& server : monitor.dns_servers) {
    if (auto error = io::AresResolver::server_address_error(server)) return *error;
  }
  switch (monitor.type) {
    case config::CheckType::kHttp: return HttpCheck::create(monitor);
    case config::CheckType::kTls:
    case config::CheckType::kTcp: return ConnectCheck::create(monitor);
    case config::CheckType::kDns: return DnsCheck::create(monitor);
  }
  return std::string("unknown check type");
}

}  // namespace prober::checks
