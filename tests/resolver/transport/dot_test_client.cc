// The blocking test DoT client; see dot_test_client.h.
#include "tests/resolver/transport/dot_test_client.h"

#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/str_cat.h"

namespace ztgate::resolver::transport::testing {

DotTestClient::~DotTestClient() {
  // A clean close_notify keeps the session resumable for later tests.
  if (ssl_ != nullptr && SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<DotTestClient>> DotTestClient::Connect(
    const DotClientOptions& options) {
  // OpenSSL writes with write(2): a server that closed the connection (a
  // rejected client) must fail the write, not kill the test with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<DotTestClient> client(new DotTestClient());
  client->fd_ = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{};
  timeout.tv_sec = options.timeout.count() / 1000;
  timeout.tv_usec = (options.timeout.count() % 1000) * 1000;
  setsockopt(client->fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(client->fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  const int one = 1;
  setsockopt(client->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!options.source_address.empty()) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    inet_pton(AF_INET, options.source_address.c_str(), &source.sin_addr);
    if (bind(client->fd_, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0) {
      return absl::InternalError(StrCat("bind to ", options.source_address, " failed"));
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(client->fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(StrCat("connect to port ", options.port, " failed"));
  }

  ERR_clear_error();
  client->ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(client->ctx_, TLS1_2_VERSION);
  if (options.max_tls_version != 0) {
    SSL_CTX_set_max_proto_version(client->ctx_, options.max_tls_version);
  }
  SSL_CTX_load_verify_locations(client->ctx_, options.ca_file.c_str(), nullptr);
  SSL_CTX_set_verify(client->ctx_, SSL_VERIFY_PEER, nullptr);
  if (!options.certificate_file.empty()) {
    if (SSL_CTX_use_certificate_file(client->ctx_, options.certificate_file.c_str(),
                                     SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(client->ctx_, options.key_file.c_str(), SSL_FILETYPE_PEM) !=
            1) {
      return OpenSslError(absl::StatusCode::kInvalidArgument, "loading client certificate failed");
    }
  }
  client->ssl_ = SSL_new(client->ctx_);
  SSL_set_fd(client->ssl_, client->fd_);
  SSL_set_tlsext_host_name(client->ssl_, options.server_name.c_str());
  SSL_set1_host(client->ssl_, options.server_name.c_str());
  if (options.resume != nullptr) SSL_set_session(client->ssl_, options.resume);
  if (SSL_connect(client->ssl_) != 1) {
    return OpenSslError(absl::StatusCode::kUnavailable, "TLS handshake failed");
  }
  return client;
}

absl::Status DotTestClient::SendRaw(std::string_view bytes) {
  ERR_clear_error();
  if (SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) != static_cast<int>(bytes.size())) {
    return OpenSslError(absl::StatusCode::kUnavailable, "SSL_write failed");
  }
  return absl::OkStatus();
}

absl::Status DotTestClient::Send(std::string_view message) {
  std::string frame;
  frame.push_back(static_cast<char>(message.size() >> 8));
  frame.push_back(static_cast<char>(message.size() & 0xff));
  frame.append(message);
  return SendRaw(frame);
}

absl::Status DotTestClient::ReadExactly(char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, data + done, static_cast<int>(size - done));
    if (n <= 0) {
      // With TLS 1.3 a rejected client certificate is reported on the first
      // read, as the alert arrives after the client's handshake finished.
      return OpenSslError(absl::StatusCode::kUnavailable,
                          StrCat("connection closed (SSL error ", SSL_get_error(ssl_, n), ")"));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DotTestClient::Receive() {
  char prefix[2];
  if (absl::Status s = ReadExactly(prefix, 2); !s.ok()) return s;
  const size_t length = (size_t{static_cast<uint8_t>(prefix[0])} << 8) |
                        static_cast<uint8_t>(prefix[1]);
  std::string message(length, '\0');
  if (absl::Status s = ReadExactly(message.data(), length); !s.ok()) return s;
  return message;
}

absl::StatusOr<std::string> DotTestClient::ReceiveUntilClosed() {
  std::string received;
  char chunk[4096];
  while (true) {
    ERR_clear_error();
    errno = 0;
    const int n = SSL_read(ssl_, chunk, sizeof(chunk));
    if (n > 0) {
      received.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return absl::DeadlineExceededError(
          StrCat("the connection is still open; received: ", received));
    }
    // close_notify, a bare FIN or a reset: the server closed.
    return received;
  }
}

std::string DotTestClient::PeerCommonName() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof(name));
  return name;
}

}  // namespace ztgate::resolver::transport::testing
