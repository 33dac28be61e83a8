// A blocking DoT client for tests, over OpenSSL on a plain TCP socket. It
// sends queries and reads responses one frame at a time, so a test decides
// the exact order. It also sends and reads raw bytes, which the HTTP/1.1
// tests of the DoH server use (it offers no ALPN, so DoH takes HTTP/1.1). It also exposes the SSL object (session reuse, peer
// certificate).
#ifndef ZTGATE_TESTS_RESOLVER_TRANSPORT_DOT_TEST_CLIENT_H_
#define ZTGATE_TESTS_RESOLVER_TRANSPORT_DOT_TEST_CLIENT_H_

#include <chrono>
#include <string>

#include <openssl/ssl.h>

#include "absl/status/statusor.h"
#include "resolver/transport/tls_context.h"

namespace ztgate::resolver::transport::testing {

struct DotClientOptions {
  uint16_t port = 0;
  std::string source_address;  // Bind to this local address first; optional.
  std::string ca_file;
  std::string server_name = "dot.lab";
  std::string certificate_file;  // Client certificate for mTLS; optional.
  std::string key_file;
  SSL_SESSION* resume = nullptr;  // Offered for resumption when set.
  int max_tls_version = 0;        // 0: TLS 1.3.
  std::chrono::milliseconds timeout{5000};
};

class DotTestClient {
 public:
  ~DotTestClient();
  // Connects to 127.0.0.1 and completes the TLS handshake.
  static absl::StatusOr<std::unique_ptr<DotTestClient>> Connect(const DotClientOptions& options);

  absl::Status Send(std::string_view message);
  // Sends raw bytes, for malformed framing.
  absl::Status SendRaw(std::string_view bytes);
  // Reads one framed message; UNAVAILABLE when the server closed.
  absl::StatusOr<std::string> Receive();
  // Reads raw bytes until the server closes the connection (HTTP/1.1
  // tests); DEADLINE_EXCEEDED when it stays open past the timeout.
  absl::StatusOr<std::string> ReceiveUntilClosed();

  SSL* ssl() const { return ssl_; }
  bool session_reused() const { return SSL_session_reused(ssl_) == 1; }
  // The session for a later resumption (owned by the caller).
  SslSessionPtr TakeSession() const { return SslSessionPtr(SSL_get1_session(ssl_)); }
  // The server certificate's subject CN.
  std::string PeerCommonName() const;

 private:
  DotTestClient() = default;
  absl::Status ReadExactly(char* data, size_t size);

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace ztgate::resolver::transport::testing

#endif  // ZTGATE_TESTS_RESOLVER_TRANSPORT_DOT_TEST_CLIENT_H_
