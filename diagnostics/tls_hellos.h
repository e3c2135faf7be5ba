#pragma once
// The TLS follow-up: the handshake again with several ClientHello shapes, each on its own
// connection, to tell a server or middlebox that breaks on one shape (TLS 1.3, or the larger
// ClientHello with the post-quantum X25519MLKEM768 key share that Chrome and Firefox send by
// default) from one that fails every client alike. Each handshake is recorded as both sides saw
// it: versions and groups offered and chosen, alerts sent and received, the ClientHello's size.
#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diagnostics/step.h"
#include "io/uv_timer.h"

namespace prober::diagnostics {

struct HelloShape {
  std::string name;     // "TLS 1.2 only"
  int min_version = 0;  // TLS1_2_VERSION ...; 0: OpenSSL's default
  int max_version = 0;
  std::string groups;  // OpenSSL group list; empty: OpenSSL's default
  bool post_quantum = false;
};

struct HelloOutcome {
  HelloShape shape;
  bool done = false;
  bool ok = false;
  std::size_t hello_bytes = 0;                          // the ClientHello as sent (0: never sent)
  std::vector<std::string> groups_offered, key_shares;  // read from the ClientHello itself
  std::string certificate;                              // the server's leaf subject, when it got that far
  std::string version, group, cipher;
  std::vector<std::string> alerts;  // "received fatal handshake failure", "sent fatal ..."
  std::string error;                // why it failed
  double ms = 0;
};

// The shapes this OpenSSL can send: the default, TLS 1.2 only, TLS 1.3 with X25519 only, and
// (OpenSSL 3.5 and later) TLS 1.3 with X25519MLKEM768 first, as browsers do.
std::vector<HelloShape> hello_shapes();
// The conclusion from every shape's outcome: pure, for the tests.
checks::Diagnostic summarize_hellos(const std::vector<HelloOutcome>& outcomes, bool post_quantum_available);

class TlsHellos final : public Step {
 public:
  TlsHellos(uv_loop_t* loop, std::string address, int port, std::string server_name, std::chrono::milliseconds wait);
  ~TlsHellos() override;
  void start(Done done) override;
  checks::Diagnostic cut_short() override;

 private:
  class Attempt;
  void attempt_done();

  uv_loop_t* loop_;
  const std::string address_;
  const int port_;
  const std::string server_name_;
  const std::chrono::milliseconds wait_;
  Done done_;
  std::vector<HelloOutcome> outcomes_;
  std::vector<std::unique_ptr<Attempt>> attempts_;
  bool post_quantum_ = false;
  int pending_ = 0;
  io::UvTimer finish_;  // concludes from the loop, outside any attempt's callback
};

}  // namespace prober::diagnostics
