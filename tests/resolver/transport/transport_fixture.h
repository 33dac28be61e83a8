// The shared set-up of the end-to-end transport tests: a temporary
// directory, a test PKI and a real unbound serving corp.lab over DoT on a
// loopback port. They are created once per test binary and torn down at its
// end, and unbound is also killed if the binary dies. Also a TCP listener
// that accepts connections and never responds, as the slow upstream.
#ifndef ZTGATE_TESTS_RESOLVER_TRANSPORT_TRANSPORT_FIXTURE_H_
#define ZTGATE_TESTS_RESOLVER_TRANSPORT_TRANSPORT_FIXTURE_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/str_cat.h"
#include "resolver/resolver_config.h"
#include "tests/resolver/transport/test_pki.h"
#include "tests/resolver/transport/unbound_process.h"

namespace ztgate::resolver::transport::testing {

struct Lab {
  TempDir dir;
  TestPki pki;
  std::unique_ptr<UnboundProcess> unbound;
};

class LabTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto lab = std::make_unique<Lab>();
    absl::StatusOr<TestPki> pki = GenerateTestPki(lab->dir.path());
    ASSERT_TRUE(pki.ok()) << pki.status();
    lab->pki = *pki;
    absl::StatusOr<std::unique_ptr<UnboundProcess>> unbound = UnboundProcess::Start(
        lab->dir.path(), lab->pki.server.certificate, lab->pki.server.key);
    ASSERT_TRUE(unbound.ok()) << unbound.status();
    lab->unbound = std::move(*unbound);
    lab_ = lab.release();
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(lab_, nullptr) << "the lab failed to start"; }

  static UpstreamConfig UnboundUpstream() {
    UpstreamConfig upstream;
    upstream.endpoint = *ParseEndpoint(StrCat("127.0.0.1:", lab_->unbound->port()));
    upstream.tls_name = "upstream.lab";
    upstream.ca_file = lab_->pki.ca_certificate;
    upstream.timeout = absl::Seconds(2);
    upstream.connections = 2;
    return upstream;
  }

  static UpstreamConfig UpstreamAt(uint16_t port, absl::Duration timeout) {
    UpstreamConfig upstream = UnboundUpstream();
    upstream.endpoint = *ParseEndpoint(StrCat("127.0.0.1:", port));
    upstream.timeout = timeout;
    upstream.connections = 1;
    return upstream;
  }

  static Lab* lab_;
};

inline Lab* LabTest::lab_ = nullptr;

// A TCP listener on 127.0.0.1 that completes the TCP handshake (the kernel
// does, from the backlog) and never reads or answers: a stuck upstream.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(fd_, 16);
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace ztgate::resolver::transport::testing

#endif  // ZTGATE_TESTS_RESOLVER_TRANSPORT_TRANSPORT_FIXTURE_H_
