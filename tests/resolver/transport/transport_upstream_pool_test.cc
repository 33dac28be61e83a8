// End-to-end tests of the DoT upstream pool against a real unbound on a
// loopback port: answers by name and by SPKI pin, ID mapping, distinct
// errors for a refused and a silent upstream, retry on the next upstream,
// and health tracking.
#include "resolver/transport/upstream_pool.h"

#include <future>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "resolver/transport/tls_server.h"
#include "resolver/transport/forwarding_handler.h"
#include "resolver/transport/io_context_pool.h"
#include "tests/resolver/transport/test_dns.h"
#include "tests/resolver/transport/transport_fixture.h"

namespace ztgate::resolver::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::BuildQuery;
using testing::kHostName;
using testing::kHostV4;
using testing::kHostV6;
using testing::kOtherName;
using testing::kOtherV4;
using testing::kTypeA;
using testing::kTypeAaaa;
using testing::ParseResponse;

// Generous: loopback answers take microseconds; this bounds a hung test.
constexpr auto kWait = std::chrono::seconds(10);

class UpstreamPoolTest : public testing::LabTest {
 protected:
  void SetUp() override {
    LabTest::SetUp();
    io_.Start();
  }
  void TearDown() override {
    if (pool_ != nullptr) pool_->Stop();
    io_.Stop();
  }

  void CreatePool(std::vector<UpstreamConfig> upstreams, UpstreamPoolConfig config = {}) {
    absl::StatusOr<std::shared_ptr<UpstreamPool>> pool =
        UpstreamPool::Create(upstreams, config, &io_);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *pool;
  }

  absl::StatusOr<std::string> Resolve(std::string query) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<std::string>>>();
    std::future<absl::StatusOr<std::string>> future = promise->get_future();
    pool_->Resolve(std::move(query), [promise](absl::StatusOr<std::string> response) {
      promise->set_value(std::move(response));
    });
    if (future.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("the test gave up waiting for the pool");
    }
    return future.get();
  }

  IoContextPool io_{2};
  std::shared_ptr<UpstreamPool> pool_;
};

TEST_F(UpstreamPoolTest, ResolvesByTlsName) {
  CreatePool({UnboundUpstream()});
  absl::StatusOr<std::string> response = Resolve(BuildQuery(0xbeef, kHostName, kTypeAaaa));
  ASSERT_TRUE(response.ok()) << response.status();
  std::optional<testing::ParsedResponse> parsed = ParseResponse(*response);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id, 0xbeef);
  EXPECT_EQ(parsed->rcode, 0);
  EXPECT_THAT(parsed->addresses, ElementsAre(kHostV6));
  const UpstreamPoolCounters stats = pool_->stats();
  EXPECT_EQ(stats.queries, 1u);
  EXPECT_EQ(stats.responses, 1u);
  EXPECT_EQ(stats.connects, 1u);
}

TEST_F(UpstreamPoolTest, ResolvesBySpkiPinOnly) {
  UpstreamConfig upstream = UnboundUpstream();
  upstream.tls_name.clear();
  upstream.ca_file.clear();
  absl::StatusOr<std::string> pin = testing::RunCommand(
      StrCat("openssl x509 -in ", lab_->pki.server.certificate,
             " -noout -pubkey | openssl pkey -pubin -outform der"
             " | openssl dgst -sha256 -binary | openssl base64 -A"));
  ASSERT_TRUE(pin.ok()) << pin.status();
  upstream.spki_pins = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", *pin};
  CreatePool({upstream});
  absl::StatusOr<std::string> response = Resolve(BuildQuery(1, kHostName, kTypeA));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(ParseResponse(*response)->addresses, ElementsAre(kHostV4));
}

TEST_F(UpstreamPoolTest, WrongPinIsNetworkError) {
  UpstreamConfig upstream = UnboundUpstream();
  upstream.spki_pins = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  CreatePool({upstream});
  absl::StatusOr<std::string> response = Resolve(BuildQuery(1, kHostName, kTypeA));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("spki_pins"));
  EXPECT_EQ(pool_->stats().pin_failures, 1u);
}

TEST_F(UpstreamPoolTest, WrongTlsNameFailsVerification) {
  UpstreamConfig upstream = UnboundUpstream();
  upstream.tls_name = "other.lab";
  CreatePool({upstream});
  absl::StatusOr<std::string> response = Resolve(BuildQuery(1, kHostName, kTypeA));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("hostname mismatch"));
}

TEST_F(UpstreamPoolTest, SameIdsInFlightAreMapped) {
  UpstreamConfig upstream = UnboundUpstream();
  upstream.connections = 1;
  CreatePool({upstream});
  // Two clients chose the same ID; both queries share one connection.
  auto first = std::make_shared<std::promise<absl::StatusOr<std::string>>>();
  auto second = std::make_shared<std::promise<absl::StatusOr<std::string>>>();
  pool_->Resolve(BuildQuery(7, kHostName, kTypeA),
                 [first](absl::StatusOr<std::string> r) { first->set_value(std::move(r)); });
  pool_->Resolve(BuildQuery(7, kOtherName, kTypeA),
                 [second](absl::StatusOr<std::string> r) { second->set_value(std::move(r)); });
  auto first_future = first->get_future();
  auto second_future = second->get_future();
  ASSERT_EQ(first_future.wait_for(kWait), std::future_status::ready);
  ASSERT_EQ(second_future.wait_for(kWait), std::future_status::ready);
  absl::StatusOr<std::string> a = first_future.get();
  absl::StatusOr<std::string> b = second_future.get();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(ParseResponse(*a)->id, 7);
  EXPECT_EQ(ParseResponse(*b)->id, 7);
  EXPECT_THAT(ParseResponse(*a)->addresses, ElementsAre(kHostV4));
  EXPECT_THAT(ParseResponse(*b)->addresses, ElementsAre(kOtherV4));
  EXPECT_EQ(pool_->stats().connects, 1u);
}

TEST_F(UpstreamPoolTest, ManyPipelinedQueries) {
  UpstreamConfig upstream = UnboundUpstream();
  upstream.connections = 1;
  CreatePool({upstream});
  constexpr int kQueries = 200;
  std::vector<std::future<absl::StatusOr<std::string>>> futures;
  for (int i = 0; i < kQueries; ++i) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<std::string>>>();
    futures.push_back(promise->get_future());
    pool_->Resolve(BuildQuery(static_cast<uint16_t>(i), kHostName, i % 2 ? kTypeA : kTypeAaaa),
                   [promise](absl::StatusOr<std::string> r) { promise->set_value(std::move(r)); });
  }
  for (int i = 0; i < kQueries; ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(futures[i].wait_for(kWait), std::future_status::ready);
    absl::StatusOr<std::string> response = futures[i].get();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(ParseResponse(*response)->id, i);
  }
  EXPECT_EQ(pool_->stats().connects, 1u);
}

TEST_F(UpstreamPoolTest, RefusedUpstreamIsUnavailable) {
  CreatePool({UpstreamAt(testing::FreePort(), absl::Seconds(2))});
  absl::StatusOr<std::string> response = Resolve(BuildQuery(1, kHostName, kTypeA));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("refused"));
  EXPECT_EQ(pool_->stats().network_failures, 1u);
  EXPECT_EQ(pool_->stats().timeouts, 0u);
}

TEST_F(UpstreamPoolTest, SilentUpstreamTimesOut) {
  testing::SilentListener silent;
  CreatePool({UpstreamAt(silent.port(), absl::Milliseconds(300))});
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> response = Resolve(BuildQuery(1, kHostName, kTypeA));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  EXPECT_EQ(pool_->stats().timeouts, 1u);
  EXPECT_EQ(pool_->stats().network_failures, 0u);
}

TEST_F(UpstreamPoolTest, RetriesRefusedOnNextUpstream) {
  // Round robin starts at the first upstream for the first query.
  CreatePool({UpstreamAt(testing::FreePort(), absl::Seconds(2)), UnboundUpstream()});
  absl::StatusOr<std::string> response = Resolve(BuildQuery(3, kHostName, kTypeA));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(ParseResponse(*response)->addresses, ElementsAre(kHostV4));
  const UpstreamPoolCounters stats = pool_->stats();
  EXPECT_EQ(stats.retries, 1u);
  EXPECT_EQ(stats.network_failures, 1u);
  EXPECT_EQ(stats.responses, 1u);
}

TEST_F(UpstreamPoolTest, RetriesSilentOnNextUpstream) {
  testing::SilentListener silent;
  CreatePool({UpstreamAt(silent.port(), absl::Milliseconds(300)), UnboundUpstream()});
  absl::StatusOr<std::string> response = Resolve(BuildQuery(3, kHostName, kTypeAaaa));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(ParseResponse(*response)->addresses, ElementsAre(kHostV6));
  EXPECT_EQ(pool_->stats().retries, 1u);
  EXPECT_EQ(pool_->stats().timeouts, 1u);
}

TEST_F(UpstreamPoolTest, LastAttemptDecidesError) {
  testing::SilentListener silent;
  UpstreamPoolConfig config;
  config.attempts = 2;
  CreatePool({UpstreamAt(testing::FreePort(), absl::Seconds(2)),
              UpstreamAt(silent.port(), absl::Milliseconds(300))},
             config);
  absl::StatusOr<std::string> response = Resolve(BuildQuery(3, kHostName, kTypeA));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(response.status().message(), HasSubstr("2 upstreams tried"));
}

TEST_F(UpstreamPoolTest, MarksDownAndProbesBack) {
  UpstreamPoolConfig config;
  config.attempts = 1;
  config.max_failures = 2;
  config.down_time = absl::Milliseconds(200);
  config.max_backoff = absl::Milliseconds(100);
  const uint16_t port = testing::FreePort();
  CreatePool({UpstreamAt(port, absl::Seconds(2))}, config);

  // Below the threshold the upstream stays up; at it, it goes down.
  EXPECT_FALSE(Resolve(BuildQuery(1, kHostName, kTypeA)).ok());
  EXPECT_TRUE(pool_->health()[0].up);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // Past the connect backoff.
  EXPECT_FALSE(Resolve(BuildQuery(2, kHostName, kTypeA)).ok());
  EXPECT_FALSE(pool_->health()[0].up);
  EXPECT_EQ(pool_->health()[0].consecutive_failures, 2u);
  EXPECT_EQ(pool_->stats().marked_down, 1u);
}

TEST_F(UpstreamPoolTest, DownUpstreamRecoversAfterProbe) {
  UpstreamPoolConfig config;
  config.attempts = 1;
  config.max_failures = 1;
  config.down_time = absl::Milliseconds(200);
  config.max_backoff = absl::Milliseconds(50);
  const uint16_t port = testing::FreePort();
  CreatePool({UpstreamAt(port, absl::Seconds(2))}, config);
  EXPECT_FALSE(Resolve(BuildQuery(1, kHostName, kTypeA)).ok());
  ASSERT_FALSE(pool_->health()[0].up);

  // The upstream comes back: a DoT server of ours on that port, forwarding
  // to unbound through a second pool.
  absl::StatusOr<std::shared_ptr<UpstreamPool>> inner =
      UpstreamPool::Create({UnboundUpstream()}, {}, &io_);
  ASSERT_TRUE(inner.ok()) << inner.status();
  ForwardingHandler handler(*inner);
  TlsServerOptions options;
  options.listeners = {*ParseEndpoint(StrCat("127.0.0.1:", port))};
  options.tls = {lab_->pki.server.certificate, lab_->pki.server.key, "", false};
  absl::StatusOr<std::unique_ptr<TlsServer>> server = TlsServer::Create(options, &handler, &io_);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Start().ok());

  // While down, queries still go to the only upstream (nothing better
  // exists); after down_time one probe succeeds and marks it up.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  absl::StatusOr<std::string> response = Resolve(BuildQuery(2, kHostName, kTypeA));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(ParseResponse(*response)->addresses, ElementsAre(kHostV4));
  EXPECT_TRUE(pool_->health()[0].up);
  EXPECT_EQ(pool_->health()[0].consecutive_failures, 0u);
  (*server)->Stop();
  (*inner)->Stop();
}

TEST_F(UpstreamPoolTest, ShortQueryRejectedBeforeUpstream) {
  CreatePool({UnboundUpstream()});
  absl::StatusOr<std::string> rejected = Resolve("short");
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pool_->stats().rejected_queries, 1u);
  EXPECT_EQ(pool_->stats().queries, 0u);
}

}  // namespace
}  // namespace ztgate::resolver::transport
