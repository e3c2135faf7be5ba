#pragma once
// The DNS follow-up: find the zone's authoritative servers through the monitor's resolver, then
// ask each one directly (UDP and TCP) the question the check asked, and the zone's SOA. Tells a
// lame or unreachable nameserver, servers that disagree (serials, answers) and a failure of the
// resolver alone apart.
#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diagnostics/step.h"
#include "io/ares_resolver.h"

namespace prober::diagnostics {

// One question's outcome, from the resolver or from one server.
struct DnsAsked {
  bool done = false;
  int status = ARES_SUCCESS;  // c-ares status; ARES_SUCCESS means a message came back
  std::optional<int> rcode;
  bool authoritative = false;
  std::vector<std::string> answers;  // rdata of answer records of the type asked, sorted
  std::optional<std::string> serial;
  std::string error;  // why no usable message came back
  double ms = 0;
};

struct AuthoritativeServer {
  std::string name;     // "ns1.example.com"
  std::string address;  // "192.0.2.11"
  DnsAsked udp, soa, tcp;
};

// The conclusion from what every server answered: pure, for the tests.
checks::Diagnostic summarize_authoritative(const std::string& zone, const std::string& question,
                                           const std::vector<AuthoritativeServer>& servers, bool dns_failed,
                                           const std::string& resolver);

class AuthoritativeDns final : public Step {
 public:
  // `type`: the record type the check asked (A for URLs). `dns_failed`: the check failed at DNS
  // (then servers that all answer well mean the resolver alone fails).
  AuthoritativeDns(uv_loop_t* loop, std::shared_ptr<io::AresResolver> resolver, std::string name, int type,
                   bool dns_failed, std::chrono::milliseconds per_query);
  ~AuthoritativeDns() override;
  void start(Done done) override;
  checks::Diagnostic cut_short() override;

 private:
  struct Server;
  void ask(io::AresResolver& resolver, const std::string& name, int type, DnsAsked& into);
  void step_done();
  void find_servers();
  void ask_servers();
  checks::Diagnostic conclude(bool cut) const;

  uv_loop_t* loop_;
  std::shared_ptr<io::AresResolver> resolver_;  // held: the pool may let go of it meanwhile
  const std::string name_;
  const int type_;
  const bool dns_failed_;
  const std::chrono::milliseconds per_query_;
  Done done_;
  int stage_ = 0;  // 0 zone, 1 server addresses, 2 the servers themselves, 3 done
  int pending_ = 0;
  std::vector<std::pair<std::string, DnsAsked>> suffixes_;  // NS of the name and each parent
  std::string zone_;
  std::vector<std::pair<std::string, DnsAsked>> ns_addresses_;  // A of each NS name
  std::vector<AuthoritativeServer> servers_;
  std::vector<std::unique_ptr<io::AresResolver>> direct_;  // one per server and transport
  std::vector<std::pair<io::AresResolver*, io::AresResolver::QueryId>> queries_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace prober::diagnostics
