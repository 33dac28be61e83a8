// End-to-end tests of the DoT server: kdig +tls and dnsperf -m dot ->
// TlsServer -> UpstreamPool -> a real unbound over DoT. Covers pipelined
// queries answered out of order, mTLS identities accepted and rejected,
// upstream failures as SERVFAIL with EDE, connection limits, the idle
// timeout, malformed framing, session resumption and certificate reload.
#include "resolver/transport/tls_server.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <asio/steady_timer.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "resolver/transport/forwarding_handler.h"
#include "resolver/transport/io_context_pool.h"
#include "resolver/transport/upstream_pool.h"
#include "tests/resolver/transport/dot_test_client.h"
#include "tests/resolver/transport/test_dns.h"
#include "tests/resolver/transport/tls_server_fixture.h"

namespace ztgate::resolver::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::BuildQuery;
using testing::DotClientOptions;
using testing::DotTestClient;
using testing::kHostName;
using testing::kHostV4;
using testing::kHostV6;
using testing::kTypeA;
using testing::kTypeAaaa;
using testing::ParseResponse;
using testing::Eventually;
using testing::kWait;
using testing::ObservingHandler;

class DotServerTest : public testing::TlsServerTest {};

TEST_F(DotServerTest, KdigResolvesThroughUnbound) {
  StartServer();
  EXPECT_EQ(Kdig(StrCat("+short ", kHostName, " A")), StrCat(kHostV4, "\n"));
  EXPECT_EQ(Kdig(StrCat("+short ", kHostName, " AAAA")), StrCat(kHostV6, "\n"));
  // The full output shows the TLS session and the status.
  const std::string full = Kdig(StrCat(kHostName, " A"));
  EXPECT_THAT(full, HasSubstr("status: NOERROR"));
  EXPECT_THAT(full, HasSubstr("TLS"));
  const ServerCounters stats = server_->stats();
  EXPECT_EQ(stats.queries, 3u);
  EXPECT_EQ(stats.responses, 3u);
  EXPECT_EQ(stats.handshakes_completed, 3u);
}

TEST_F(DotServerTest, KdigRefusedNameOutsideZone) {
  StartServer();
  // unbound refuses every name outside corp.lab: the refusal passes through.
  EXPECT_THAT(Kdig("www.example.lab A"), HasSubstr("status: REFUSED"));
}

TEST_F(DotServerTest, KdigOverIpv6Listener) {
  options_.listeners.push_back(Endpoint{*IpAddress::Parse("::1"), 0});
  StartServer();
  const uint16_t v6_port = server_->local_endpoints().at(1).port();
  absl::StatusOr<std::string> output = testing::RunCommand(
      StrCat("kdig @::1 -p ", v6_port, " +tls-ca=", lab_->pki.ca_certificate,
             " +tls-hostname=dot.lab +timeout=5 +retry=0 +short ", kHostName, " AAAA"));
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(*output, StrCat(kHostV6, "\n"));
  const std::vector<ClientContext> clients = handler_->clients();
  ASSERT_EQ(clients.size(), 1u);
  EXPECT_EQ(clients[0].address.ToString(), "::1");
}

TEST_F(DotServerTest, InFlightLimitPausesReading) {
  // Two queries in flight at most; each A query is held 200 ms.
  options_.limits.max_queries_per_connection = 2;
  handler_->set_delay_a(std::chrono::milliseconds(200));
  StartServer();
  std::unique_ptr<DotTestClient> client = Connect(ClientOptions());
  ASSERT_NE(client, nullptr);
  const auto start = std::chrono::steady_clock::now();
  for (uint16_t id = 1; id <= 4; ++id) {
    ASSERT_TRUE(client->Send(BuildQuery(id, kHostName, kTypeA)).ok());
  }
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<std::string> response = client->Receive();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_THAT(ParseResponse(*response)->addresses, ElementsAre(kHostV4));
  }
  // The third and fourth queries were read only after the first two were
  // answered, so the four took two delays, not one.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
  EXPECT_EQ(server_->stats().responses, 4u);
}

TEST_F(DotServerTest, PipelinedAnswersOutOfOrder) {
  handler_->set_delay_a(std::chrono::milliseconds(300));
  StartServer();
  std::unique_ptr<DotTestClient> client = Connect(ClientOptions());
  ASSERT_NE(client, nullptr);
  // A first, then AAAA, on one connection before reading anything.
  ASSERT_TRUE(client->Send(BuildQuery(1, kHostName, kTypeA)).ok());
  ASSERT_TRUE(client->Send(BuildQuery(2, kHostName, kTypeAaaa)).ok());
  absl::StatusOr<std::string> first = client->Receive();
  absl::StatusOr<std::string> second = client->Receive();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(ParseResponse(*first)->id, 2);
  EXPECT_THAT(ParseResponse(*first)->addresses, ElementsAre(kHostV6));
  EXPECT_EQ(ParseResponse(*second)->id, 1);
  EXPECT_THAT(ParseResponse(*second)->addresses, ElementsAre(kHostV4));
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

TEST_F(DotServerTest, KdigPipelinedQueries) {
  handler_->set_delay_a(std::chrono::milliseconds(200));
  StartServer();
  // kdig sends both queries of +keepopen on one connection.
  const std::string output = Kdig(StrCat("+keepopen +short ", kHostName, " A ", kHostName,
                                         " AAAA"));
  EXPECT_THAT(output, HasSubstr(kHostV4));
  EXPECT_THAT(output, HasSubstr(kHostV6));
}

TEST_F(DotServerTest, MtlsSpiffeIdentity) {
  RequireClientCertificates();
  StartServer();
  DotClientOptions options = ClientOptions();
  options.certificate_file = lab_->pki.client_spiffe.certificate;
  options.key_file = lab_->pki.client_spiffe.key;
  std::unique_ptr<DotTestClient> client = Connect(options);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<testing::ParsedResponse> response = Ask(*client, 9, kHostName, kTypeA);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->addresses, ElementsAre(kHostV4));
  const std::vector<ClientContext> clients = handler_->clients();
  ASSERT_EQ(clients.size(), 1u);
  EXPECT_EQ(clients[0].identity.kind, IdentityKind::kUri);
  EXPECT_EQ(clients[0].identity.name, "spiffe://corp.lab/laptop-a");
  EXPECT_EQ(clients[0].address.ToString(), "127.0.0.1");
  EXPECT_EQ(clients[0].transport, "dot");
  EXPECT_NE(clients[0].port, 0);
}

TEST_F(DotServerTest, MtlsCommonNameIdentityWithKdig) {
  RequireClientCertificates();
  StartServer();
  const std::string output =
      Kdig(StrCat("+tls-certfile=", lab_->pki.client_cn.certificate,
                  " +tls-keyfile=", lab_->pki.client_cn.key, " +short ", kHostName, " A"));
  EXPECT_EQ(output, StrCat(kHostV4, "\n"));
  const std::vector<ClientContext> clients = handler_->clients();
  ASSERT_EQ(clients.size(), 1u);
  EXPECT_EQ(clients[0].identity.kind, IdentityKind::kCommonName);
  EXPECT_EQ(clients[0].identity.name, "laptop-b");
}

TEST_F(DotServerTest, MtlsRejectsUntrustedCertificate) {
  RequireClientCertificates();
  StartServer();
  DotClientOptions options = ClientOptions();
  options.certificate_file = lab_->pki.client_untrusted.certificate;
  options.key_file = lab_->pki.client_untrusted.key;
  absl::StatusOr<std::unique_ptr<DotTestClient>> client = DotTestClient::Connect(options);
  // With TLS 1.3 the server's rejection arrives after the client's side of
  // the handshake, so it surfaces on the first exchange.
  if (client.ok()) {
    EXPECT_FALSE(Ask(**client, 1, kHostName, kTypeA).ok());
  }
  EXPECT_TRUE(Eventually([&] { return server_->stats().handshakes_failed == 1; }));
  EXPECT_TRUE(handler_->clients().empty());
}

TEST_F(DotServerTest, MtlsRejectsMissingCertificate) {
  RequireClientCertificates();
  StartServer();
  absl::StatusOr<std::unique_ptr<DotTestClient>> client = DotTestClient::Connect(ClientOptions());
  if (client.ok()) {
    EXPECT_FALSE(Ask(**client, 1, kHostName, kTypeA).ok());
  }
  EXPECT_TRUE(Eventually([&] { return server_->stats().handshakes_failed == 1; }));
  EXPECT_TRUE(handler_->clients().empty());
}

TEST_F(DotServerTest, OptionalClientCertificate) {
  options_.tls.client_ca_file = lab_->pki.ca_certificate;
  StartServer();
  std::unique_ptr<DotTestClient> anonymous = Connect(ClientOptions());
  ASSERT_NE(anonymous, nullptr);
  ASSERT_TRUE(Ask(*anonymous, 1, kHostName, kTypeA).ok());
  ASSERT_EQ(handler_->clients().size(), 1u);
  EXPECT_EQ(handler_->clients()[0].identity.kind, IdentityKind::kNone);
}

TEST_F(DotServerTest, UpstreamFailuresGiveDistinctEde) {
  testing::SilentListener silent;
  UpstreamPoolConfig config;
  config.attempts = 1;
  absl::StatusOr<std::shared_ptr<UpstreamPool>> slow =
      UpstreamPool::Create({UpstreamAt(silent.port(), absl::Milliseconds(300))}, config, &io_);
  absl::StatusOr<std::shared_ptr<UpstreamPool>> down =
      UpstreamPool::Create({UpstreamAt(testing::FreePort(), absl::Seconds(2))}, config, &io_);
  ASSERT_TRUE(slow.ok()) << slow.status();
  ASSERT_TRUE(down.ok()) << down.status();

  forwarding_ = std::make_unique<ForwardingHandler>(*slow);
  handler_ = std::make_unique<ObservingHandler>(forwarding_.get(), io_.At(1));
  StartServer();
  std::unique_ptr<DotTestClient> client = Connect(ClientOptions());
  ASSERT_NE(client, nullptr);
  absl::StatusOr<testing::ParsedResponse> timed_out = Ask(*client, 1, kHostName, kTypeA);
  ASSERT_TRUE(timed_out.ok()) << timed_out.status();
  EXPECT_EQ(timed_out->rcode, 2);
  EXPECT_EQ(timed_out->extended_error, 22);
  server_->Stop();

  forwarding_ = std::make_unique<ForwardingHandler>(*down);
  handler_ = std::make_unique<ObservingHandler>(forwarding_.get(), io_.At(1));
  StartServer();
  client = Connect(ClientOptions());
  ASSERT_NE(client, nullptr);
  absl::StatusOr<testing::ParsedResponse> refused = Ask(*client, 2, kHostName, kTypeA);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->rcode, 2);
  EXPECT_EQ(refused->extended_error, 23);
  (*slow)->Stop();
  (*down)->Stop();
}

TEST_F(DotServerTest, ConnectionLimitsRejectAndCount) {
  options_.limits.max_connections = 3;
  options_.limits.max_connections_per_client = 2;
  StartServer();
  DotClientOptions first_client = ClientOptions();
  first_client.source_address = "127.0.0.1";
  DotClientOptions second_client = ClientOptions();
  second_client.source_address = "127.0.0.2";
  DotClientOptions third_client = ClientOptions();
  third_client.source_address = "127.0.0.3";

  std::vector<std::unique_ptr<DotTestClient>> open;
  open.push_back(Connect(first_client));
  open.push_back(Connect(first_client));
  for (auto& client : open) ASSERT_NE(client, nullptr);
  // A third connection from the same address is over the per-client limit.
  absl::StatusOr<std::unique_ptr<DotTestClient>> over_client = DotTestClient::Connect(first_client);
  EXPECT_FALSE(over_client.ok());
  EXPECT_TRUE(Eventually([&] { return server_->stats().connections_rejected_client_limit == 1; }));

  // Another address fits under the total of 3; a fourth address does not.
  open.push_back(Connect(second_client));
  ASSERT_NE(open.back(), nullptr);
  absl::StatusOr<std::unique_ptr<DotTestClient>> over_total = DotTestClient::Connect(third_client);
  EXPECT_FALSE(over_total.ok());
  EXPECT_TRUE(Eventually([&] { return server_->stats().connections_rejected_total_limit == 1; }));
  for (auto& client : open) EXPECT_TRUE(Ask(*client, 1, kHostName, kTypeA).ok());

  // Closing one makes room again.
  open.pop_back();
  EXPECT_TRUE(Eventually([&] { return server_->open_connections() == 2; }));
  std::unique_ptr<DotTestClient> again = Connect(third_client);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(Ask(*again, 1, kHostName, kTypeA).ok());
  EXPECT_EQ(server_->stats().connections_accepted, 4u);
}

TEST_F(DotServerTest, IdleTimeoutClosesOnlyIdleConnections) {
  options_.limits.idle_timeout = absl::Milliseconds(400);
  StartServer();
  std::unique_ptr<DotTestClient> client = Connect(ClientOptions());
  ASSERT_NE(client, nullptr);
  // Queries every 150 ms keep the connection open past the timeout.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Ask(*client, static_cast<uint16_t>(i), kHostName, kTypeA).ok()) << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  EXPECT_EQ(server_->stats().idle_timeouts, 0u);
  // Silent for longer than the timeout: the server closes.
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> nothing = client->Receive();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(nothing.ok());
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_TRUE(Eventually([&] { return server_->stats().idle_timeouts == 1; }));
  EXPECT_TRUE(Eventually([&] { return server_->open_connections() == 0; }));
}

TEST_F(DotServerTest, ShortFrameClosesConnection) {
  StartServer();
  for (const std::string_view frame : {std::string_view("\x00\x00", 2),
                                       std::string_view("\x00\x05hello", 7)}) {
    std::unique_ptr<DotTestClient> client = Connect(ClientOptions());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->SendRaw(frame).ok());
    EXPECT_FALSE(client->Receive().ok());
  }
  EXPECT_TRUE(Eventually([&] { return server_->stats().malformed_frames == 2; }));
  EXPECT_EQ(server_->stats().queries, 0u);
}

TEST_F(DotServerTest, FrameSplitAcrossWrites) {
  StartServer();
  std::unique_ptr<DotTestClient> client = Connect(ClientOptions());
  ASSERT_NE(client, nullptr);
  const std::string query = BuildQuery(5, kHostName, kTypeA);
  std::string frame = {static_cast<char>(query.size() >> 8), static_cast<char>(query.size())};
  frame += query;
  ASSERT_TRUE(client->SendRaw(frame.substr(0, 1)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(client->SendRaw(frame.substr(1, 10)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(client->SendRaw(frame.substr(11)).ok());
  absl::StatusOr<std::string> response = client->Receive();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(ParseResponse(*response)->id, 5);
}

TEST_F(DotServerTest, SessionResumesWithTls13Ticket) {
  StartServer();
  SslSessionPtr session;
  {
    std::unique_ptr<DotTestClient> client = Connect(ClientOptions());
    ASSERT_NE(client, nullptr);
    EXPECT_FALSE(client->session_reused());
    // TLS 1.3 tickets arrive after the handshake; one exchange reads them.
    ASSERT_TRUE(Ask(*client, 1, kHostName, kTypeA).ok());
    session = client->TakeSession();
  }
  ASSERT_NE(session, nullptr);
  DotClientOptions options = ClientOptions();
  options.resume = session.get();
  std::unique_ptr<DotTestClient> resumed = Connect(options);
  ASSERT_NE(resumed, nullptr);
  EXPECT_TRUE(resumed->session_reused());
  EXPECT_TRUE(Ask(*resumed, 2, kHostName, kTypeA).ok());
  EXPECT_EQ(server_->stats().handshakes_resumed, 1u);
}

TEST_F(DotServerTest, SessionResumesWithTls12) {
  StartServer();
  DotClientOptions options = ClientOptions();
  options.max_tls_version = TLS1_2_VERSION;
  SslSessionPtr session;
  {
    std::unique_ptr<DotTestClient> client = Connect(options);
    ASSERT_NE(client, nullptr);
    EXPECT_STREQ(SSL_get_version(client->ssl()), "TLSv1.2");
    ASSERT_TRUE(Ask(*client, 1, kHostName, kTypeA).ok());
    session = client->TakeSession();
  }
  options.resume = session.get();
  std::unique_ptr<DotTestClient> resumed = Connect(options);
  ASSERT_NE(resumed, nullptr);
  EXPECT_TRUE(resumed->session_reused());
}

TEST_F(DotServerTest, ReloadKeepsConnectionsAndServesNewCertificate) {
  StartServer();
  std::unique_ptr<DotTestClient> before = Connect(ClientOptions());
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before->PeerCommonName(), "dot.lab");
  ASSERT_TRUE(Ask(*before, 1, kHostName, kTypeA).ok());
  SslSessionPtr session = before->TakeSession();

  // A broken key file is rejected and the old certificate stays.
  std::filesystem::copy_file(lab_->pki.server_reloaded.key, dir_.File("server.key"),
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_FALSE(server_->ReloadTls().ok());
  EXPECT_EQ(server_->stats().tls_reload_failures, 1u);

  std::filesystem::copy_file(lab_->pki.server_reloaded.certificate, dir_.File("server.crt"),
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(server_->ReloadTls().ok());
  EXPECT_EQ(server_->stats().tls_reloads, 1u);

  // The established connection keeps working.
  absl::StatusOr<testing::ParsedResponse> still = Ask(*before, 2, kHostName, kTypeAaaa);
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_THAT(still->addresses, ElementsAre(kHostV6));
  // A new handshake gets the new certificate.
  std::unique_ptr<DotTestClient> after = Connect(ClientOptions());
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->PeerCommonName(), "dot-reloaded.lab");
  // Ticket keys carry over, so a session from before the reload resumes.
  DotClientOptions resume = ClientOptions();
  resume.resume = session.get();
  std::unique_ptr<DotTestClient> resumed = Connect(resume);
  ASSERT_NE(resumed, nullptr);
  EXPECT_TRUE(resumed->session_reused());
}

TEST_F(DotServerTest, SighupReloads) {
  options_.reload_on_sighup = true;
  StartServer();
  std::filesystem::copy_file(lab_->pki.server_reloaded.certificate, dir_.File("server.crt"),
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(lab_->pki.server_reloaded.key, dir_.File("server.key"),
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(raise(SIGHUP), 0);
  EXPECT_TRUE(Eventually([&] { return server_->stats().tls_reloads == 1; }));
  std::unique_ptr<DotTestClient> after = Connect(ClientOptions());
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->PeerCommonName(), "dot-reloaded.lab");
}

TEST_F(DotServerTest, DnsperfSmoke) {
  StartServer();
  const std::string queries = dir_.File("queries.txt");
  {
    std::ofstream out(queries);
    for (int i = 0; i < 25; ++i) {
      out << kHostName << " A\n" << kHostName << " AAAA\n";
    }
  }
  // 50 queries, 20 passes, 4 connections: 1000 queries, bounded to 20 s.
  absl::StatusOr<std::string> output = testing::RunCommand(
      StrCat("dnsperf -m dot -s 127.0.0.1 -p ", port_, " -d ", queries,
             " -n 20 -c 4 -t 5 -l 20"));
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_THAT(*output, HasSubstr("Queries sent:         1000"));
  EXPECT_THAT(*output, HasSubstr("Queries completed:    1000 (100.00%)"));
  EXPECT_THAT(*output, HasSubstr("NOERROR 1000"));
  EXPECT_EQ(server_->stats().responses, 1000u);
}

}  // namespace
}  // namespace ztgate::resolver::transport
