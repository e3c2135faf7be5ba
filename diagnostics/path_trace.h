#pragma once
// The path follow-up, tracepath-style and without raw sockets (no capability in the container):
// one UDP datagram per TTL, 1 to max_hops, all sent at once, each on its own socket with Linux's
// IP_RECVERR, so the ICMP "time exceeded" of each router and the destination's "port
// unreachable" arrive on the socket's error queue with the sender's address.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diagnostics/step.h"
#include "io/uv_timer.h"

namespace prober::diagnostics {

struct Hop {
  int ttl = 0;
  std::optional<std::string> address;  // who answered; nullopt: nobody in time
  double ms = 0;
  // What the answer said: "time exceeded" (a router on the way), "reached" (the destination:
  // port unreachable, or any datagram back), or why the destination is unreachable.
  std::string said;
  bool reached = false;
  bool unreachable = false;  // a router said the destination cannot be reached
};

// The conclusion from the hops: pure, for the tests. `failure`: the check's class (a path that
// reaches the host while TCP failed to connect puts the failure at the host or next to it).
checks::Diagnostic summarize_path(const std::string& address, int port, const std::vector<Hop>& hops,
                                  const std::optional<std::string>& send_error, checks::FailureClass failure,
                                  std::chrono::milliseconds waited);

class PathTrace final : public Step {
 public:
  PathTrace(uv_loop_t* loop, std::string address, int port, checks::FailureClass failure, int max_hops,
            std::chrono::milliseconds wait);
  ~PathTrace() override;
  void start(Done done) override;
  checks::Diagnostic cut_short() override;

 private:
  struct Probe;
  static void watch(Probe& probe);
  void on_readable(Probe& probe);
  void finish();
  bool complete() const;
  checks::Diagnostic conclude() const;

  uv_loop_t* loop_;
  const std::string address_;
  const int port_;
  const checks::FailureClass failure_;
  const int max_hops_;
  const std::chrono::milliseconds wait_;
  Done done_;
  std::vector<Hop> hops_;
  std::vector<std::unique_ptr<Probe>> probes_;
  std::optional<std::string> send_error_;
  io::UvTimer timer_;  // the wait for answers
};

}  // namespace prober::diagnostics
