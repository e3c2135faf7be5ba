// The endpoint's HTTP server writing answers larger than a socket takes at once: whole, in order,
// to a client that reads late, and nothing kept for one that leaves mid-answer.
#include "net/http_server.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <variant>

#include "io/loop.h"
#include "io/openssl_handles.h"
#include "net/tls_server.h"

namespace {

using prober::net::HttpResponse;
using prober::net::HttpServer;

// A body of `pieces` pieces of `size` bytes each, every byte telling its piece and place.
HttpResponse big_answer(int pieces, std::size_t size) {
  HttpResponse r{200, "text/plain", "first part\n", {}, {}};
  for (int p = 0; p < pieces; ++p) {
    std::string piece(size, '\0');
    for (std::size_t i = 0; i < size; ++i) piece[i] = static_cast<char>('a' + (p * 7 + i) % 26);
    r.body_pieces.push_back(std::move(piece));
  }
  return r;
}

std::string expected_body(const HttpResponse& r) {
  std::string body = r.body;
  for (const auto& piece : r.body_pieces) body += piece;
  return body;
}

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

// One answer's head and body (by its Content-Length), read with `read` (recv or SSL_read: the
// bytes into a buffer, 0 or less at the end); the body empty on a short read.
template <typename Read>
std::pair<std::string, std::string> read_answer_with(Read read) {
  std::string in;
  char buffer[65536];
  std::size_t head_end = std::string::npos, length = 0;
  while (true) {
    if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
      auto at = in.find("Content-Length: ");
      length = at == std::string::npos ? 0 : std::stoul(in.substr(at + 16));
      head_end += 4;
    }
    if (head_end != std::string::npos && in.size() >= head_end + length) break;
    auto n = read(buffer, sizeof buffer);
    if (n <= 0) return {in.substr(0, head_end == std::string::npos ? in.size() : head_end), ""};
    in.append(buffer, static_cast<std::size_t>(n));
  }
  return {in.substr(0, head_end), in.substr(head_end, length)};
}

std::pair<std::string, std::string> read_answer(int fd) {
  return read_answer_with([fd](char* buffer, std::size_t size) { return recv(fd, buffer, size, 0); });
}

// Over TLS (the certificate is not verified: not what is tested).
std::pair<std::string, std::string> read_tls_answer(SSL* ssl) {
  return read_answer_with(
      [ssl](char* buffer, std::size_t size) { return SSL_read(ssl, buffer, static_cast<int>(size)); });
}

std::string pem_of(EVP_PKEY* key, X509* cert) {
  prober::io::BioPtr bio(BIO_new(BIO_s_mem()));
  if (key) PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  if (cert) PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// The endpoint's TLS with a self-signed P-256 certificate made now.
std::shared_ptr<const prober::net::EndpointSecurity> tls_security() {
  prober::io::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  prober::io::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  prober::config::WebTlsConfig tls;
  tls.cert = pem_of(nullptr, cert.get());
  tls.key = pem_of(key.get(), nullptr);
  auto made = prober::net::TlsServerContext::make(tls);
  REQUIRE(std::holds_alternative<std::shared_ptr<const prober::net::TlsServerContext>>(made));
  auto security = std::make_shared<prober::net::EndpointSecurity>();
  security->tls = std::get<std::shared_ptr<const prober::net::TlsServerContext>>(made);
  return security;
}

// Runs the loop until `done`, at most 20 s.
void run_until(prober::io::Loop& loop, const std::atomic<bool>& done) {
  uv_timer_t tick;
  uv_timer_init(loop.get(), &tick);
  uv_timer_start(
      &tick, [](uv_timer_t*) {}, 5, 5);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done && std::chrono::steady_clock::now() < until) uv_run(loop.get(), UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop.get(), UV_RUN_NOWAIT);
}

TEST_CASE("an answer in pieces reaches a client that reads late whole, in order, and the connection is kept") {
  prober::io::Loop loop;
  const HttpResponse answer = big_answer(24, 300 * 1024 + 7);  // ~7 MB: far more than the socket takes
  auto made = HttpServer::listen(loop.get(), "127.0.0.1:0", [&](const prober::net::HttpRequest& q, auto respond) {
    respond(q.path == "/big" ? answer : HttpResponse{200, "text/plain", "small\n", {}, {}});
  });
  REQUIRE(std::holds_alternative<std::unique_ptr<HttpServer>>(made));
  auto& server = std::get<std::unique_ptr<HttpServer>>(made);
  std::atomic<bool> done{false};
  std::string head, body, second_head, second_body;
  std::thread client([&] {
    int fd = connect_to(server->port());
    if (fd >= 0) {
      send_all(fd, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
      // Late: the server has written what the socket takes and queued the rest.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      std::tie(head, body) = read_answer(fd);
      send_all(fd, "GET /small HTTP/1.1\r\nHost: t\r\n\r\n");
      std::tie(second_head, second_body) = read_answer(fd);
      close(fd);
    }
    done = true;
  });
  run_until(loop, done);
  client.join();
  CHECK(head.find("HTTP/1.1 200 OK") == 0);
  CHECK(head.find("Content-Length: " + std::to_string(expected_body(answer).size()) + "\r\n") != std::string::npos);
  CHECK(head.find("Connection: keep-alive") != std::string::npos);
  CHECK(body.size() == expected_body(answer).size());
  CHECK((body == expected_body(answer)));
  CHECK(second_body == "small\n");
  server.reset();
  CHECK(loop.close() == 0);
}

TEST_CASE("a client that leaves in the middle of a large answer leaves nothing behind") {
  std::signal(SIGPIPE, SIG_IGN);  // as prober's main does: libuv writes with write(2)
  prober::io::Loop loop;
  auto made = HttpServer::listen(loop.get(), "127.0.0.1:0", [&](const prober::net::HttpRequest&, auto respond) {
    respond(big_answer(40, 256 * 1024));
  });
  REQUIRE(std::holds_alternative<std::unique_ptr<HttpServer>>(made));
  auto& server = std::get<std::unique_ptr<HttpServer>>(made);
  std::atomic<bool> done{false};
  std::size_t got = 0;
  std::thread client([&] {
    int fd = connect_to(server->port());
    if (fd >= 0) {
      send_all(fd, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
      char buffer[65536];
      while (got < 1'000'000) {
        ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      close(fd);  // with ~9 MB of the answer still queued
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    done = true;
  });
  run_until(loop, done);
  client.join();
  CHECK(got >= 1'000'000);
  CHECK(server->open_connections() == 0);  // dropped at the failed write; its queued parts freed
  server.reset();
  CHECK(loop.close() == 0);
}

}  // namespace

TEST_CASE("over TLS, an answer in pieces is encrypted as it goes out and arrives whole; the connection is kept") {
  std::signal(SIGPIPE, SIG_IGN);
  prober::io::Loop loop;
  const HttpResponse answer = big_answer(12, 512 * 1024 + 3);  // ~6 MB: several batches of records
  auto security = tls_security();
  auto made = HttpServer::listen(
      loop.get(), "127.0.0.1:0",
      [&](const prober::net::HttpRequest& q, auto respond) {
        respond(q.path == "/big" ? answer : HttpResponse{200, "text/plain", "small\n", {}, {}});
      },
      {}, [security] { return security; });
  REQUIRE(std::holds_alternative<std::unique_ptr<HttpServer>>(made));
  auto& server = std::get<std::unique_ptr<HttpServer>>(made);
  std::atomic<bool> done{false};
  std::string head, body, second_body;
  std::thread client([&] {
    int fd = connect_to(server->port());
    prober::io::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    prober::io::SslPtr ssl(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), fd);
    if (fd >= 0 && SSL_connect(ssl.get()) == 1) {
      std::string request = "GET /big HTTP/1.1\r\nHost: t\r\n\r\n";
      SSL_write(ssl.get(), request.data(), static_cast<int>(request.size()));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      std::tie(head, body) = read_tls_answer(ssl.get());
      request = "GET /small HTTP/1.1\r\nHost: t\r\n\r\n";
      SSL_write(ssl.get(), request.data(), static_cast<int>(request.size()));
      second_body = read_tls_answer(ssl.get()).second;
    }
    if (fd >= 0) close(fd);
    done = true;
  });
  run_until(loop, done);
  client.join();
  CHECK(head.find("HTTP/1.1 200 OK") == 0);
  CHECK(head.find("Content-Length: " + std::to_string(expected_body(answer).size()) + "\r\n") != std::string::npos);
  CHECK(body.size() == expected_body(answer).size());
  CHECK((body == expected_body(answer)));
  CHECK(second_body == "small\n");
  server.reset();
  CHECK(loop.close() == 0);
}
