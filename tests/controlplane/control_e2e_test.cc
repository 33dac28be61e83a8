// ztgate-control end to end, every part real: kdig +tls as the client, the
// ztgate-control daemon, unbound over DoT as the upstream (serving the
// corp.lab test zone on loopback), and ztgate-dataplane on ring vdevs as
// the dataplane whose acknowledgement releases each answer.
#include <fstream>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "common/ip_address.h"
#include "common/str_cat.h"
#include "tests/resolver/transport/test_pki.h"
#include "tests/resolver/transport/unbound_process.h"
#include "tests/support/daemon_process.h"
#include "ztgate/v1/flowtable.grpc.pb.h"
#include "ztgate/v1/policy.grpc.pb.h"

namespace ztgate::controlplane {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using resolver::transport::testing::FreePort;
using resolver::transport::testing::GenerateTestPki;
using resolver::transport::testing::RunCommand;
using resolver::transport::testing::TestPki;
using resolver::transport::testing::UnboundProcess;
using ztgate::testing::DaemonProcess;
using ztgate::testing::TempDir;

constexpr absl::Duration kStartTimeout = absl::Seconds(60);

// Everything the tests share: started once, because DPDK and unbound take
// seconds to come up.
struct Gateway {
  TempDir dir{"ztgate-control-e2e"};
  TestPki pki;
  std::unique_ptr<UnboundProcess> unbound;
  DaemonProcess dataplane;
  DaemonProcess control;
  uint16_t dot_port = 0;
  std::string dataplane_socket;
  std::string control_socket;
};

Gateway* gateway = nullptr;

std::string ControlConfig(const Gateway& g) {
  return StrCat(R"(
listen:
  dot: ["127.0.0.1:)", g.dot_port, R"("]
tls:
  certificate: )", g.pki.server.certificate, R"(
  key: )", g.pki.server.key, R"(
  client_ca: )", g.pki.ca_certificate, R"(
upstreams:
  - address: 127.0.0.1:)", g.unbound->port(), R"(
    tls_name: dot.lab
    ca_file: )", g.pki.ca_certificate, R"(
policy:
  groups:
    - name: laptops
      identities: ["spiffe://corp.lab/laptop-a"]
      allow: [host3.corp.lab]
    - name: loopback-a
      clients: [127.0.0.1/32]
      allow: ["*.corp.lab"]
      deny: [host2.corp.lab]
    - name: loopback-b
      clients: [127.0.0.2/32]
      allow: [host1.corp.lab]
dataplanes:
  - target: unix:)", g.dataplane_socket, R"(
install:
  ack_timeout: 1s
  lifetime_floor: 30s
  grace: 5s
api:
  unix_socket: )", g.control_socket, R"(
log_level: debug
)");
}

class ControlE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway = new Gateway;
    Gateway& g = *gateway;
    const std::string dir = g.dir.path().string();
    absl::StatusOr<TestPki> pki = GenerateTestPki(dir);
    ASSERT_TRUE(pki.ok()) << pki.status();
    g.pki = *pki;
    absl::StatusOr<std::unique_ptr<UnboundProcess>> unbound =
        UnboundProcess::Start(dir, g.pki.server.certificate, g.pki.server.key);
    ASSERT_TRUE(unbound.ok()) << unbound.status();
    g.unbound = std::move(*unbound);

    g.dataplane_socket = dir + "/dataplane.sock";
    g.control_socket = dir + "/control.sock";
    std::ofstream(dir + "/dataplane.yaml")
        << "table:\n  size: 65536\napi:\n  unix_socket: " << g.dataplane_socket << "\n";
    ASSERT_TRUE(g.dataplane
                    .Start({ZTGATE_DATAPLANE_BINARY, "-l", "0,1", "--no-huge", "-m", "512",
                            "--no-pci", "--no-telemetry",
                            "--file-prefix=" + ztgate::testing::UniqueFilePrefix("control-e2e"),
                            "--vdev=net_ring0", "--vdev=net_ring1", "--", "--inside", "net_ring0",
                            "--outside", "net_ring1", "--config", dir + "/dataplane.yaml"},
                           dir + "/dataplane.log")
                    .ok());
    absl::Status dataplane_ready = g.dataplane.WaitServing("unix:" + g.dataplane_socket,
                                                           kStartTimeout);
    ASSERT_TRUE(dataplane_ready.ok()) << dataplane_ready;

    g.dot_port = FreePort();
    std::ofstream(dir + "/control.yaml") << ControlConfig(g);
    ASSERT_TRUE(g.control
                    .Start({ZTGATE_CONTROL_BINARY, "--config", dir + "/control.yaml"},
                           dir + "/control.log")
                    .ok());
    absl::Status control_ready = g.control.WaitServing("unix:" + g.control_socket, kStartTimeout);
    ASSERT_TRUE(control_ready.ok()) << control_ready;
  }

  static void TearDownTestSuite() {
    delete gateway;
    gateway = nullptr;
  }

  void SetUp() override { ASSERT_NE(gateway, nullptr) << "the gateway did not start"; }

  // Runs kdig over DoT against ztgate-control; `source` picks the client.
  static std::string Kdig(std::string_view arguments, std::string_view source = "127.0.0.1",
                          std::string_view client_cert = "") {
    std::string tls = StrCat("+tls-ca=", gateway->pki.ca_certificate, " +tls-hostname=dot.lab");
    if (!client_cert.empty()) {
      tls += StrCat(" +tls-certfile=", client_cert, " +tls-keyfile=",
                    gateway->pki.client_spiffe.key);
    }
    absl::StatusOr<std::string> output =
        RunCommand(StrCat("kdig @127.0.0.1 -p ", gateway->dot_port, " -b ", source, " ", tls,
                          " +timeout=5 +retry=0 ", arguments, " 2>&1"));
    EXPECT_TRUE(output.ok()) << output.status();
    return output.ok() ? *output : "";
  }

  static std::vector<ztgate::v1::FlowEntry> ListFlows(const std::string& client) {
    auto stub = ztgate::v1::FlowTable::NewStub(grpc::CreateChannel(
        "unix:" + gateway->dataplane_socket, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    ztgate::v1::ListFlowsRequest request;
    ztgate::v1::Prefix* prefix = request.add_clients();
    prefix->set_address(IpAddress::Parse(client)->ToBytes());
    prefix->set_prefix_length(32);
    auto reader = stub->ListFlows(&context, request);
    std::vector<ztgate::v1::FlowEntry> flows;
    ztgate::v1::ListFlowsResponse page;
    while (reader->Read(&page)) flows.insert(flows.end(), page.flows().begin(), page.flows().end());
    EXPECT_TRUE(reader->Finish().ok());
    return flows;
  }

  static bool HasFlow(const std::string& client, const std::string& destination,
                      const std::string& name) {
    for (const ztgate::v1::FlowEntry& flow : ListFlows(client)) {
      if (flow.destination() == IpAddress::Parse(destination)->ToBytes() && flow.name() == name) {
        return true;
      }
    }
    return false;
  }

  static ztgate::v1::GetControlStatsResponse ControlStats() {
    auto stub = ztgate::v1::Policy::NewStub(grpc::CreateChannel(
        "unix:" + gateway->control_socket, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    ztgate::v1::GetControlStatsResponse stats;
    EXPECT_TRUE(stub->GetControlStats(&context, {}, &stats).ok());
    return stats;
  }
};

TEST_F(ControlE2eTest, AllowedNameIsInstalledThenAnswered) {
  const std::string output = Kdig("host1.corp.lab A");
  EXPECT_THAT(output, HasSubstr("status: NOERROR"));
  EXPECT_THAT(output, HasSubstr("198.18.0.10"));
  EXPECT_TRUE(HasFlow("127.0.0.1", "198.18.0.10", "host1.corp.lab"))
      << "the answer was released, so its flow must be installed";
}

TEST_F(ControlE2eTest, DeniedNameIsBlocked) {
  const std::string output = Kdig("host2.corp.lab A");
  EXPECT_THAT(output, HasSubstr("status: REFUSED"));
  EXPECT_THAT(output, HasSubstr("EDE: 15"));
  EXPECT_THAT(output, Not(HasSubstr("198.18.0.20")));
  EXPECT_FALSE(HasFlow("127.0.0.1", "198.18.0.20", "host2.corp.lab"));
}

TEST_F(ControlE2eTest, DeniedForEveryQueryType) {
  for (const char* type : {"HTTPS", "TXT", "MX", "ANY"}) {
    SCOPED_TRACE(type);
    EXPECT_THAT(Kdig(StrCat("host2.corp.lab ", type)), HasSubstr("status: REFUSED"));
  }
}

TEST_F(ControlE2eTest, NameOutsideAllowListIsBlocked) {
  EXPECT_THAT(Kdig("www.vendor.lab A"), HasSubstr("status: REFUSED"));
}

TEST_F(ControlE2eTest, CacheHitInstallsForSecondClient) {
  ASSERT_THAT(Kdig("host1.corp.lab A", "127.0.0.1"), HasSubstr("198.18.0.10"));
  const uint64_t hits_before = ControlStats().cache_hits();
  const std::string output = Kdig("host1.corp.lab A", "127.0.0.2");
  EXPECT_THAT(output, HasSubstr("198.18.0.10"));
  EXPECT_GT(ControlStats().cache_hits(), hits_before);
  EXPECT_TRUE(HasFlow("127.0.0.2", "198.18.0.10", "host1.corp.lab"))
      << "a cached answer installs for its own client";
}

TEST_F(ControlE2eTest, GroupsArePerClient) {
  EXPECT_THAT(Kdig("host3.corp.lab A", "127.0.0.2"), HasSubstr("status: REFUSED"));
  EXPECT_THAT(Kdig("host3.corp.lab A", "127.0.0.1"), HasSubstr("198.18.0.30"));
}

TEST_F(ControlE2eTest, UnknownClientIsProhibited) {
  const std::string output = Kdig("host1.corp.lab A", "127.0.0.3");
  EXPECT_THAT(output, HasSubstr("status: REFUSED"));
  EXPECT_THAT(output, HasSubstr("EDE: 18"));
}

TEST_F(ControlE2eTest, MutualTlsIdentitySelectsGroup) {
  // The laptops group (matched by SPIFFE ID) comes first and allows only
  // host3, although the address would match loopback-a.
  const std::string cert = gateway->pki.client_spiffe.certificate;
  EXPECT_THAT(Kdig("host3.corp.lab A", "127.0.0.1", cert), HasSubstr("198.18.0.30"));
  EXPECT_THAT(Kdig("host1.corp.lab A", "127.0.0.1", cert), HasSubstr("status: REFUSED"));
}

TEST_F(ControlE2eTest, FailsClosedWhileDataplaneCannotAcknowledge) {
  gateway->dataplane.Pause();
  const std::string output = Kdig("host4.corp.lab A");
  gateway->dataplane.Resume();
  EXPECT_THAT(output, HasSubstr("status: SERVFAIL"));
  EXPECT_THAT(output, Not(HasSubstr("198.18.0.40")));
  EXPECT_GE(ControlStats().decisions().at("install-failed"), 1u);

  // Once the dataplane answers again, so does the gateway.
  EXPECT_THAT(Kdig("host4.corp.lab A"), HasSubstr("198.18.0.40"));
}

TEST_F(ControlE2eTest, StatsCountDecisions) {
  Kdig("host1.corp.lab A");
  Kdig("host2.corp.lab A");
  const ztgate::v1::GetControlStatsResponse stats = ControlStats();
  EXPECT_GE(stats.decisions().at("allowed"), 1u);
  EXPECT_GE(stats.decisions().at("denied"), 1u);
  ASSERT_EQ(stats.dataplanes_size(), 1);
  EXPECT_TRUE(stats.dataplanes(0).synced());
  EXPECT_GE(stats.dataplanes(0).batches_sent(), 1u);
}

}  // namespace
}  // namespace ztgate::controlplane
