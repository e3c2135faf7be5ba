#include "diagnostics/tls_hellos.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "checks/address_lookup.h"
#include "checks/timings.h"
#include "diagnostics/client_hello.h"
#include "io/openssl_handles.h"
#include "io/socket_address.h"
#include "io/uv_handle.h"

namespace prober::diagnostics {
namespace {

bool post_quantum_available() {
  io::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  bool ok = ctx && SSL_CTX_set1_groups_list(ctx.get(), "X25519MLKEM768") == 1;
  ERR_clear_error();
  return ok;
}

std::string outcome_line(const HelloOutcome& o) {
  std::string out = o.shape.name + ": ";
  if (!o.done)
    return out + "no answer in time" +
           (o.hello_bytes ? " (ClientHello " + std::to_string(o.hello_bytes) + " bytes)" : "");
  if (o.ok) {
    out += "ok, " + o.version + " " + o.cipher + (o.group.empty() ? "" : " group " + o.group);
  } else {
    out += "fails: " + o.error;
  }
  if (o.hello_bytes) out += "; ClientHello " + std::to_string(o.hello_bytes) + " bytes";
  if (!o.groups_offered.empty()) out += ", groups " + joined(o.groups_offered, " ");
  if (!o.key_shares.empty()) out += ", key shares " + joined(o.key_shares, " ");
  if (!o.certificate.empty()) out += "; certificate " + o.certificate;
  for (const auto& alert : o.alerts) out += "; alert " + alert;
  return out + " (" + checks::format_ms(o.ms) + ")";
}

}  // namespace

std::vector<HelloShape> hello_shapes() {
  std::vector<HelloShape> shapes = {
      {"the check's default", 0, 0, "", false},
      {"TLS 1.2 only", TLS1_2_VERSION, TLS1_2_VERSION, "", false},
      {"TLS 1.3 only with X25519", TLS1_3_VERSION, TLS1_3_VERSION, "X25519", false},
  };
  if (post_quantum_available())
    shapes.push_back({"TLS 1.3 with X25519MLKEM768 as Chrome and Firefox", TLS1_3_VERSION, TLS1_3_VERSION,
                      "X25519MLKEM768:X25519", true});
  return shapes;
}

checks::Diagnostic summarize_hellos(const std::vector<HelloOutcome>& outcomes, bool post_quantum) {
  checks::Diagnostic d{"tls", "", {}};
  std::vector<const HelloOutcome*> passed, failed;
  for (const auto& o : outcomes) {
    d.details.push_back(outcome_line(o));
    (o.done && o.ok ? passed : failed).push_back(&o);
  }
  if (!post_quantum)
    d.details.push_back(
        "X25519MLKEM768 (the post-quantum key share of current browsers) not tried: this build's "
        "OpenSSL " OPENSSL_VERSION_STR " cannot send it (3.5 can)");
  auto names = [](const std::vector<const HelloOutcome*>& list) {
    std::vector<std::string> out;
    out.reserve(list.size());
    for (const auto* o : list) out.push_back(o->shape.name);
    return joined(out);
  };
  auto size_of = [](const HelloOutcome* o) { return o->hello_bytes; };
  if (failed.empty()) {
    d.summary = "every ClientHello shape completes the handshake: the handshake is not what fails";
    return d;
  }
  if (passed.empty()) {
    d.summary = "every ClientHello shape fails (" + (failed[0]->done ? failed[0]->error : "no answer") +
                "): the server or the path fails every client alike";
    return d;
  }
  // A server's alert is its decision (a version or group it does not take); a reset, a close or
  // silence after the ClientHello is something breaking on it.
  std::vector<const HelloOutcome*> broken, refused;
  for (const auto* o : failed) {
    bool alerted = std::any_of(o->alerts.begin(), o->alerts.end(),
                               [](const std::string& a) { return a.rfind("received ", 0) == 0; });
    (alerted ? refused : broken).push_back(o);
  }
  std::size_t largest_passing = 0, smallest_broken = SIZE_MAX;
  for (const auto* o : passed) largest_passing = std::max(largest_passing, size_of(o));
  for (const auto* o : broken) {
    if (o->hello_bytes) smallest_broken = std::min(smallest_broken, size_of(o));
  }
  std::vector<std::string> parts;
  if (broken.size() == 1 && broken[0]->shape.post_quantum) {
    parts.push_back("only the post-quantum ClientHello (X25519MLKEM768, " + std::to_string(broken[0]->hello_bytes) +
                    " bytes) fails: Chrome and Firefox send it by default, so modern browsers fail while older "
                    "clients and curl pass; a server or middlebox breaks on the larger ClientHello");
  } else if (!broken.empty() && smallest_broken != SIZE_MAX && smallest_broken > largest_passing) {
    bool post_quantum_broken =
        std::any_of(broken.begin(), broken.end(), [](const HelloOutcome* o) { return o->shape.post_quantum; });
    parts.push_back("ClientHellos of " + std::to_string(smallest_broken) + " bytes or more fail (" + names(broken) +
                    ") while smaller ones pass (" + names(passed) +
                    "): a server or middlebox breaks on the larger ClientHello, so clients that send one " +
                    (post_quantum_broken ? "— Chrome and Firefox, whose post-quantum X25519MLKEM768 key share makes "
                                           "theirs that large — fail while older clients pass"
                                         : "(modern browsers' post-quantum key share) fail while older ones pass"));
  } else if (!broken.empty()) {
    parts.push_back("the connection breaks for " + names(broken) + " (" +
                    (broken[0]->done ? broken[0]->error : "no answer") + ") while " + names(passed) + " pass" +
                    (passed.size() > 1 ? "" : "es"));
  }
  if (!refused.empty()) {
    parts.push_back("the server refuses " + names(refused) + " (" + refused[0]->error + ")" +
                    (broken.empty() ? " while " + names(passed) + " pass" + (passed.size() > 1 ? "" : "es") : ""));
  }
  for (const auto& part : parts) d.summary += (d.summary.empty() ? "" : "; ") + part;
  return d;
}

class TlsHellos::Attempt {
 public:
  Attempt(TlsHellos& owner, HelloOutcome& out) : owner_(owner), out_(out), timer_(owner.loop_) {}
  Attempt(const Attempt&) = delete;
  Attempt& operator=(const Attempt&) = delete;
  ~Attempt() {
    poll_.close();  // before the descriptor: libuv must stop watching it first
    if (fd_ >= 0) ::close(fd_);
  }

  void start(const sockaddr* to, socklen_t length, const std::string& server_name) {
    started_ = uv_hrtime();
    timer_.start(static_cast<std::uint64_t>(owner_.wait_.count()), 0, [this] { end("no answer in time", true); });
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) return end("cannot make a TLS context", false);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);  // the shapes, not the certificate, are tested
    if (out_.shape.min_version) SSL_CTX_set_min_proto_version(ctx_.get(), out_.shape.min_version);
    if (out_.shape.max_version) SSL_CTX_set_max_proto_version(ctx_.get(), out_.shape.max_version);
    if (!out_.shape.groups.empty() && SSL_CTX_set1_groups_list(ctx_.get(), out_.shape.groups.c_str()) != 1)
      return end("this OpenSSL refuses the groups " + out_.shape.groups, false);
    ssl_.reset(SSL_new(ctx_.get()));
    fd_ = ::socket(to->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (!ssl_ || fd_ < 0) return end(std::string("socket: ") + std::strerror(errno), false);
    SSL_set_fd(ssl_.get(), fd_);
    if (!server_name.empty() && !checks::is_ip_literal(server_name))
      SSL_set_tlsext_host_name(ssl_.get(), server_name.c_str());
    static const unsigned char alpn[] = "\x02h2\x08http/1.1";
    SSL_set_alpn_protos(ssl_.get(), alpn, sizeof alpn - 1);
    SSL_set_msg_callback(ssl_.get(), &Attempt::on_message);
    SSL_set_msg_callback_arg(ssl_.get(), &out_);
    if (::connect(fd_, to, length) != 0 && errno != EINPROGRESS)
      return end(std::string("connect: ") + std::strerror(errno), false);
    if (uv_poll_init(owner_.loop_, poll_.get(), fd_) != 0) {
      poll_.init_failed();
      return end("cannot watch the socket", false);
    }
    poll_.get()->data = this;
    watch(UV_WRITABLE);
  }

 private:
  static void on_message(int write_p, int, int content_type, const void* buf, std::size_t len, SSL*, void* arg) {
    auto* out = static_cast<HelloOutcome*>(arg);
    const auto* bytes = static_cast<const unsigned char*>(buf);
    if (content_type == SSL3_RT_HANDSHAKE && write_p && len > 0 && bytes[0] == SSL3_MT_CLIENT_HELLO) {
      out->hello_bytes = len;
      auto offered = offered_groups(bytes, len);
      out->groups_offered = std::move(offered.groups);
      out->key_shares = std::move(offered.key_shares);
    }
    if (content_type == SSL3_RT_ALERT && len >= 2) {
      out->alerts.push_back(std::string(write_p ? "sent " : "received ") + (bytes[0] == 2 ? "fatal " : "warning ") +
                            SSL_alert_desc_string_long(bytes[1]));
    }
  }

  void watch(int events) {
    uv_poll_start(poll_.get(), events, [](uv_poll_t* handle, int, int) {
      auto* self = static_cast<Attempt*>(handle->data);
      if (self) self->drive();
    });
  }

  void drive() {
    if (!connected_) {
      int error = 0;
      socklen_t size = sizeof error;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) return end(std::string("connect: ") + std::strerror(error), false);
      connected_ = true;
    }
    ERR_clear_error();
    errno = 0;
    int rc = SSL_connect(ssl_.get());
    if (rc == 1) {
      out_.ok = true;
      out_.version = SSL_get_version(ssl_.get());
      out_.cipher = SSL_get_cipher_name(ssl_.get());
      const char* group = SSL_group_to_name(ssl_.get(), static_cast<int>(SSL_get_negotiated_group(ssl_.get())));
      out_.group = group ? group : "";
      io::X509Ptr leaf(SSL_get1_peer_certificate(ssl_.get()));
      if (leaf) {
        char subject[256] = {};
        X509_NAME_oneline(X509_get_subject_name(leaf.get()), subject, sizeof subject);
        out_.certificate = subject;
      }
      return end("", false);
    }
    int error = SSL_get_error(ssl_.get(), rc);
    if (error == SSL_ERROR_WANT_READ) return watch(UV_READABLE);
    if (error == SSL_ERROR_WANT_WRITE) return watch(UV_WRITABLE);
    std::string why;
    if (error == SSL_ERROR_SYSCALL) {
      why = errno ? std::strerror(errno) : "the server closed the connection";
    } else {
      const char* reason = ERR_reason_error_string(ERR_peek_last_error());
      why = reason ? reason : "the handshake failed";
    }
    ERR_clear_error();
    end(why, false);
  }

  void end(const std::string& error, bool timed_out) {
    if (out_.done || timed_out_) return;
    timed_out_ = timed_out;
    out_.done = !timed_out;
    out_.error = error;
    out_.ms = static_cast<double>(uv_hrtime() - started_) / 1e6;
    timer_.stop();
    if (poll_.get() && poll_.initialized()) uv_poll_stop(poll_.get());
    owner_.attempt_done();
  }

  TlsHellos& owner_;
  HelloOutcome& out_;
  io::UvTimer timer_;
  io::SslCtxPtr ctx_;
  io::SslPtr ssl_;
  int fd_ = -1;
  io::UvHandle<uv_poll_t> poll_;
  bool connected_ = false;
  bool timed_out_ = false;
  std::uint64_t started_ = 0;
};

TlsHellos::TlsHellos(uv_loop_t* loop, std::string address, int port, std::string server_name,
                     std::chrono::milliseconds wait)
    : loop_(loop),
      address_(std::move(address)),
      port_(port),
      server_name_(std::move(server_name)),
      wait_(wait),
      finish_(loop) {}

TlsHellos::~TlsHellos() {
  done_ = nullptr;
  attempts_.clear();
}

void TlsHellos::start(Done done) {
  done_ = std::move(done);
  io::SocketAddress to = io::socket_address(address_, port_);
  auto shapes = hello_shapes();
  post_quantum_ = std::any_of(shapes.begin(), shapes.end(), [](const auto& s) { return s.post_quantum; });
  outcomes_.reserve(shapes.size());  // attempts hold references into it
  for (auto& shape : shapes) outcomes_.push_back(HelloOutcome{std::move(shape)});
  pending_ = static_cast<int>(outcomes_.size());
  for (auto& outcome : outcomes_) {
    attempts_.push_back(std::make_unique<Attempt>(*this, outcome));
    attempts_.back()->start(to.get(), to.length, server_name_);
  }
}

void TlsHellos::attempt_done() {
  if (--pending_ > 0) return;
  // Possibly inside start() or an attempt's own callback: conclude from the loop.
  finish_.start(0, 0, [this] {
    attempts_.clear();
    auto done = std::move(done_);
    if (done) done(summarize_hellos(outcomes_, post_quantum_));
  });
}

checks::Diagnostic TlsHellos::cut_short() {
  done_ = nullptr;
  finish_.stop();
  attempts_.clear();
  auto d = summarize_hellos(outcomes_, post_quantum_);
  d.summary = "cut short at the deadline: " + d.summary;
  return d;
}

}  // namespace prober::diagnostics
