// The shared fixture of the DoT and DoH server tests: a TlsServer on a
// loopback port in front of the real forwarding path (UpstreamPool -> the
// lab's unbound over DoT), with a handler decorator that records each
// query's client context and can delay A queries.
#ifndef ZTGATE_TESTS_RESOLVER_TRANSPORT_TLS_SERVER_FIXTURE_H_
#define ZTGATE_TESTS_RESOLVER_TRANSPORT_TLS_SERVER_FIXTURE_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include "resolver/transport/forwarding_handler.h"
#include "resolver/transport/io_context_pool.h"
#include "resolver/transport/tls_server.h"
#include "resolver/transport/upstream_pool.h"
#include "tests/resolver/transport/dot_test_client.h"
#include "tests/resolver/transport/test_dns.h"
#include "tests/resolver/transport/transport_fixture.h"

namespace ztgate::resolver::transport::testing {

// Bounds every wait on the server; loopback answers take milliseconds.
constexpr auto kWait = std::chrono::seconds(10);

// Waits until `condition` is true or `kWait` passes.
template <typename Condition>
bool Eventually(Condition condition) {
  const auto until = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

// A decorator over the real forwarding path: it records each query's client
// context and, when asked, delays A queries by `delay_a` before
// forwarding, so that a later AAAA query completes first.
class ObservingHandler : public QueryHandler {
 public:
  ObservingHandler(QueryHandler* inner, asio::io_context& timers) : inner_(inner), timers_(timers) {}

  void HandleQuery(std::string query, const ClientContext& client,
                   ResponseCallback done) override {
    {
      std::lock_guard lock(mutex_);
      clients_.push_back(client);
    }
    std::optional<ParsedResponse> parsed = ParseResponse(query);
    if (delay_a_ > std::chrono::milliseconds(0) && parsed && parsed->question_type == kTypeA) {
      auto timer = std::make_shared<asio::steady_timer>(timers_, delay_a_);
      timer->async_wait([this, timer, query = std::move(query), client,
                         done = std::move(done)](const asio::error_code&) mutable {
        inner_->HandleQuery(std::move(query), client, std::move(done));
      });
      return;
    }
    inner_->HandleQuery(std::move(query), client, std::move(done));
  }

  void set_delay_a(std::chrono::milliseconds delay) { delay_a_ = delay; }
  std::vector<ClientContext> clients() {
    std::lock_guard lock(mutex_);
    return clients_;
  }

 private:
  QueryHandler* inner_;
  asio::io_context& timers_;
  std::chrono::milliseconds delay_a_{0};
  std::mutex mutex_;
  std::vector<ClientContext> clients_;
};

class TlsServerTest : public LabTest {
 protected:
  void SetUp() override {
    LabTest::SetUp();
    io_.Start();
    absl::StatusOr<std::shared_ptr<UpstreamPool>> pool =
        UpstreamPool::Create({UnboundUpstream()}, {}, &io_);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *pool;
    forwarding_ = std::make_unique<ForwardingHandler>(pool_);
    handler_ = std::make_unique<ObservingHandler>(forwarding_.get(), io_.At(1));
    // The server reads its certificate from copies, so reload tests can
    // replace them.
    std::filesystem::copy_file(lab_->pki.server.certificate, dir_.File("server.crt"));
    std::filesystem::copy_file(lab_->pki.server.key, dir_.File("server.key"));
    // Port 0: the kernel picks a free port.
    options_.listeners = {Endpoint{*IpAddress::Parse("127.0.0.1"), 0}};
    options_.tls = {dir_.File("server.crt"), dir_.File("server.key"), "", false};
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
    if (pool_ != nullptr) pool_->Stop();
    io_.Stop();
  }

  void StartServer() {
    absl::StatusOr<std::unique_ptr<TlsServer>> server =
        TlsServer::Create(options_, handler_.get(), &io_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->local_endpoints().at(0).port();
  }

  void RequireClientCertificates() {
    options_.tls.client_ca_file = lab_->pki.ca_certificate;
    options_.tls.require_client_certificate = true;
  }

  DotClientOptions ClientOptions() const {
    DotClientOptions options;
    options.port = port_;
    options.ca_file = lab_->pki.ca_certificate;
    return options;
  }

  std::unique_ptr<DotTestClient> Connect(DotClientOptions options) {
    absl::StatusOr<std::unique_ptr<DotTestClient>> client = DotTestClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // One query and its response on an existing connection.
  absl::StatusOr<ParsedResponse> Ask(DotTestClient& client, uint16_t id,
                                              std::string_view name, uint16_t type) {
    if (absl::Status s = client.Send(BuildQuery(id, name, type)); !s.ok()) return s;
    absl::StatusOr<std::string> response = client.Receive();
    if (!response.ok()) return response.status();
    std::optional<ParsedResponse> parsed = ParseResponse(*response);
    if (!parsed) return absl::DataLossError("unparseable response");
    return *parsed;
  }

  std::string Kdig(std::string_view arguments) {
    absl::StatusOr<std::string> output = RunCommand(
        StrCat("kdig @127.0.0.1 -p ", port_, " +tls-ca=", lab_->pki.ca_certificate,
               " +tls-hostname=dot.lab +timeout=5 +retry=0 ", arguments));
    EXPECT_TRUE(output.ok()) << output.status();
    return output.ok() ? *output : "";
  }

  TempDir dir_;
  IoContextPool io_{2};
  std::shared_ptr<UpstreamPool> pool_;
  std::unique_ptr<ForwardingHandler> forwarding_;
  std::unique_ptr<ObservingHandler> handler_;
  TlsServerOptions options_;
  std::unique_ptr<TlsServer> server_;
  uint16_t port_ = 0;
};

}  // namespace ztgate::resolver::transport::testing

#endif  // ZTGATE_TESTS_RESOLVER_TRANSPORT_TLS_SERVER_FIXTURE_H_
