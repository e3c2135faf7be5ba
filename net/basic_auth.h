#pragma once
// HTTP basic authentication for the agent's endpoint, as the exporter-toolkit does it: users
// with bcrypt hashes, an unknown user checked against a fixed hash (no user enumeration by
// timing), and each (user, hash, password) verdict cached, so a scrape every 15 s pays bcrypt
// once. bcrypt costs tens of milliseconds by design: it runs on libuv's thread pool, one at a
// time (a client guessing passwords takes one core at most), never on the loop.
#include <uv.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace prober::net {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// "Basic base64(user:password)"; nullopt for any other scheme or a malformed value.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header);

class BasicAuthVerifier {
 public:
  using Done = std::function<void(bool allowed)>;

  explicit BasicAuthVerifier(uv_loop_t* loop);
  BasicAuthVerifier(const BasicAuthVerifier&) = delete;
  BasicAuthVerifier& operator=(const BasicAuthVerifier&) = delete;
  ~BasicAuthVerifier();

  // Calls `done` on the loop: at once for a verdict in the cache, else once bcrypt has run.
  void verify(const std::map<std::string, std::string>& users, const BasicCredentials& credentials, Done done);

 private:
  struct Job;
  void start_next();

  uv_loop_t* loop_;
  std::deque<std::unique_ptr<Job>> waiting_;
  bool busy_ = false;
  std::unordered_map<std::string, bool> verdicts_;  // by SHA-256 of user, hash and password
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace prober::net
