// A load generator of full TLS 1.3 handshakes (ECDHE and ECDSA P-256, no
// session resumption) against a DoT server, for handshake_bench.sh. Each
// thread connects, completes the handshake, sends close_notify and closes,
// in a loop, for a fixed time. The server closes first, so TIME_WAIT
// stays on the server side.
//
//   dot_handshake_client --port 8853 [--threads 2] [--seconds 10]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/parse_number.h"

namespace {

// One full handshake; false on any failure.
bool Handshake(SSL_CTX* ctx, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  if (ok) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    ok = SSL_connect(ssl) == 1;
    if (ok) {
      // In TLS 1.3 SSL_connect returns before the server has read the
      // client's Finished. Sending close_notify and reading until the server
      // closes makes every counted handshake one the server completed.
      SSL_shutdown(ssl);
      char buffer[256];
      while (SSL_read(ssl, buffer, sizeof(buffer)) > 0) {
      }
    }
    SSL_free(ssl);
  }
  close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  uint16_t port = 0;
  unsigned threads = 2;
  unsigned seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    const bool parsed = (flag == "--port" && ztgate::ParseDecimal(value, &port)) ||
                        (flag == "--threads" && ztgate::ParseDecimal(value, &threads)) ||
                        (flag == "--seconds" && ztgate::ParseDecimal(value, &seconds));
    if (!parsed) {
      fprintf(stderr, "unknown or invalid option %s %s\n", flag.c_str(), value.c_str());
      return 2;
    }
  }
  if (port == 0) {
    fprintf(stderr, "--port is required\n");
    return 2;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  // Full handshakes only: no session cache, no tickets offered.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  // The benchmark measures the server; the certificate's signature over the
  // handshake is still checked by OpenSSL, its chain is not.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);

  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (std::chrono::steady_clock::now() < until) {
        (Handshake(ctx, port) ? completed : failed).fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  printf("handshakes %llu failed %llu seconds %.2f per_second %.0f\n",
         static_cast<unsigned long long>(completed.load()),
         static_cast<unsigned long long>(failed.load()), elapsed, completed.load() / elapsed);
  SSL_CTX_free(ctx);
  return failed.load() == 0 ? 0 : 1;
}
