#include "net/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <cstring>

namespace prober::net {
namespace {

// The exporter-toolkit's hash of "fakepassword": an unknown user costs what a known one does.
constexpr char kUnknownUserHash[] = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
constexpr std::size_t kMaxVerdicts = 1024;

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 8192) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = text.size() - text.find_last_not_of('=') - 1;
  if (padding > 2) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string verdict_key(const std::string& user, const std::string& hash, const std::string& password) {
  std::string input = user + '\0' + hash + '\0' + password;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<char*>(digest), length);
}

}  // namespace

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(header[i]))) != kScheme[i]) return std::nullopt;
  }
  auto decoded = base64_decode(header.substr(kScheme.size()));
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  BasicCredentials out{decoded->substr(0, colon), decoded->substr(colon + 1)};
  OPENSSL_cleanse(decoded->data(), decoded->size());
  return out;
}

struct BasicAuthVerifier::Job {
  uv_work_t request{};
  BasicAuthVerifier* owner = nullptr;
  std::weak_ptr<bool> alive;
  std::string hash, password, key;
  bool known_user = false;
  bool allowed = false;
  Done done;
  ~Job() { OPENSSL_cleanse(password.data(), password.size()); }
};

BasicAuthVerifier::BasicAuthVerifier(uv_loop_t* loop) : loop_(loop) {}
BasicAuthVerifier::~BasicAuthVerifier() { *alive_ = false; }

void BasicAuthVerifier::verify(const std::map<std::string, std::string>& users, const BasicCredentials& credentials,
                               Done done) {
  auto user = users.find(credentials.user);
  auto job = std::make_unique<Job>();
  job->known_user = user != users.end();
  job->hash = job->known_user ? user->second : kUnknownUserHash;
  job->key = verdict_key(credentials.user, job->hash, credentials.password);
  if (auto cached = verdicts_.find(job->key); cached != verdicts_.end()) return done(cached->second && job->known_user);
  job->password = credentials.password;
  job->done = std::move(done);
  job->owner = this;
  job->alive = alive_;
  waiting_.push_back(std::move(job));
  start_next();
}

void BasicAuthVerifier::start_next() {
  if (busy_ || waiting_.empty()) return;
  std::unique_ptr<Job> job = std::move(waiting_.front());
  waiting_.pop_front();
  job->request.data = job.get();
  int rc = uv_queue_work(
      loop_, &job->request,
      [](uv_work_t* w) {
        auto* j = static_cast<Job*>(w->data);
        auto data = std::make_unique<crypt_data>();  // 32 KiB of state: not on a pool thread's stack
        const char* out = crypt_rn(j->password.c_str(), j->hash.c_str(), data.get(), sizeof *data);
        j->allowed =
            out && std::strlen(out) == j->hash.size() && CRYPTO_memcmp(out, j->hash.data(), j->hash.size()) == 0;
        OPENSSL_cleanse(data.get(), sizeof *data);
      },
      [](uv_work_t* w, int) {
        std::unique_ptr<Job> j(static_cast<Job*>(w->data));
        auto alive = j->alive.lock();
        if (!alive || !*alive) return;
        BasicAuthVerifier* self = j->owner;
        self->busy_ = false;
        if (self->verdicts_.size() >= kMaxVerdicts) self->verdicts_.clear();
        self->verdicts_[j->key] = j->allowed;
        j->done(j->allowed && j->known_user);
        self->start_next();
      });
  if (rc != 0) {
    job->done(false);
    return start_next();
  }
  busy_ = true;
  (void)job.release();  // libuv's until the after-work callback
}

}  // namespace prober::net
