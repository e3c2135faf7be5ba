#include "checks/make_check.h"

#include "checks/connect_check.h"
#include "checks/dns_check.h"
#include "checks/http_check.h"

namespace prober::checks {

std::variant<std::unique_ptr<Check>, std::string> make_check(CheckEnv env,
                                                             std::shared_ptr<const config::MonitorConfig> monitor) {
  for (const auto& server : monitor->request->dns_servers) {
    if (auto error = io::AresResolver::server_address_error(server)) return *error;
  }
  switch (monitor->type) {
    case config::CheckType::kHttp:
      return make_http_check(env, std::move(monitor));
    case config::CheckType::kTls:
    case config::CheckType::kTcp:
      return make_connect_check(env, std::move(monitor));
    case config::CheckType::kDns:
      return make_dns_check(env, std::move(monitor));
  }
  return std::string("unknown check type");
}

std::variant<std::unique_ptr<Check>, std::string> make_check(CheckEnv env, const config::MonitorConfig& monitor) {
  return make_check(env, std::make_shared<const config::MonitorConfig>(monitor));
}

}  // namespace prober::checks
