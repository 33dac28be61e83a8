// ztgate-control end to end, every part real: kdig +tls and +https and
// curl as the clients (DoT and DoH), the
// ztgate-control daemon, unbound over DoT as the upstream (serving the
// corp.lab test zone on loopback), and ztgate-dataplane on ring vdevs as
// the dataplane whose acknowledgement releases each answer.
#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "common/grpc_listener.h"
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
  uint16_t doh_port = 0;
  uint16_t api_port = 0;
  std::string decision_log;
  std::string dataplane_socket;
  std::string control_socket;
};

Gateway* gateway = nullptr;

std::string ControlConfig(const Gateway& g) {
  return StrCat(R"(
listen:
  dot: ["127.0.0.1:)", g.dot_port, R"("]
  doh: ["127.0.0.1:)", g.doh_port, R"("]
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
decision_log:
  json_file: )", g.decision_log, R"(
  dnstap_file: )", g.decision_log, R"(.dnstap
api:
  unix_socket: )", g.control_socket, R"(
  tcp_address: 127.0.0.1:)", g.api_port, R"(
  tls_certificate: )", g.pki.server.certificate, R"(
  tls_key: )", g.pki.server.key, R"(
  tls_client_ca: )", g.pki.ca_certificate, R"(
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
    g.doh_port = FreePort();
    g.api_port = FreePort();
    g.decision_log = dir + "/decisions.jsonl";
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

  // Runs kdig over DoH (HTTP/2 POST) against ztgate-control.
  static std::string KdigHttps(std::string_view arguments) {
    absl::StatusOr<std::string> output = RunCommand(
        StrCat("kdig @127.0.0.1 -p ", gateway->doh_port, " +https +tls-ca=",
               gateway->pki.ca_certificate, " +tls-hostname=dot.lab +timeout=5 +retry=0 ",
               arguments, " 2>&1"));
    EXPECT_TRUE(output.ok()) << output.status();
    return output.ok() ? *output : "";
  }

  // Returns the JSON decision log once it contains `expected`, or as it is
  // after 5 s; the log writer flushes on its own schedule.
  static std::string ReadDecisionLogUntil(std::string_view expected) {
    std::string log;
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      std::ifstream in(gateway->decision_log);
      log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (log.find(expected) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return log;
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

  // Runs ztgatectl against the control plane's Unix socket.
  static std::string Ctl(std::string_view arguments) {
    absl::StatusOr<std::string> output = RunCommand(StrCat(
        ZTGATECTL_BINARY, " --control unix:", gateway->control_socket, " --dataplane unix:",
        gateway->dataplane_socket, " ", arguments, " 2>&1"));
    EXPECT_TRUE(output.ok()) << output.status();
    return output.ok() ? *output : "";
  }

  static std::unique_ptr<ztgate::v1::Policy::Stub> PolicyStub() {
    return ztgate::v1::Policy::NewStub(grpc::CreateChannel("unix:" + gateway->control_socket,
                                                           grpc::InsecureChannelCredentials()));
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

TEST_F(ControlE2eTest, ClientWaitsForHeldAcknowledgement) {
  gateway->dataplane.Pause();
  auto answer = std::async(std::launch::async, [] { return Kdig("held.corp.lab A"); });
  const bool early = answer.wait_for(std::chrono::milliseconds(400)) == std::future_status::ready;
  gateway->dataplane.Resume();
  EXPECT_FALSE(early) << "no answer may leave before the dataplane acknowledged";
  const std::string output = answer.get();
  EXPECT_THAT(output, HasSubstr("198.18.0.70"));
  EXPECT_TRUE(HasFlow("127.0.0.1", "198.18.0.70", "held.corp.lab"));
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

TEST_F(ControlE2eTest, DohAnswerIsInstalledThenReleased) {
  const std::string output = KdigHttps("doh.corp.lab A");
  EXPECT_THAT(output, HasSubstr("status: NOERROR"));
  EXPECT_THAT(output, HasSubstr("198.18.0.80"));
  EXPECT_TRUE(HasFlow("127.0.0.1", "198.18.0.80", "doh.corp.lab"))
      << "the answer was released over DoH, so its flow must be installed";
}

TEST_F(ControlE2eTest, DohDeniedNameIsRefusedInsideOk) {
  // A policy decision is a DNS answer: HTTP 200 carrying REFUSED.
  const std::string output = KdigHttps("+https-get host2.corp.lab A");
  EXPECT_THAT(output, HasSubstr("status: REFUSED"));
  EXPECT_THAT(output, HasSubstr("EDE: 15"));
  EXPECT_THAT(output, Not(HasSubstr("198.18.0.20")));
}

TEST_F(ControlE2eTest, DohFailsClosedWhileDataplaneCannotAcknowledge) {
  gateway->dataplane.Pause();
  const std::string output = KdigHttps("doh-held.corp.lab A");
  gateway->dataplane.Resume();
  EXPECT_THAT(output, HasSubstr("status: SERVFAIL"));
  EXPECT_THAT(output, Not(HasSubstr("198.18.0.81")));
}

TEST_F(ControlE2eTest, DohQueriesAreCountedAndLogged) {
  // curl sends the query over HTTP/2 with the message ID 0.
  const std::string target = "/dns-query?dns=AAABAAABAAAAAAAABWhvc3QzBGNvcnADbGFiAAAcAAE";
  absl::StatusOr<std::string> output = RunCommand(
      StrCat("curl -sS --max-time 5 --cacert ", gateway->pki.ca_certificate,
             " -o /dev/null -w '%{http_code} %{content_type}' https://127.0.0.1:",
             gateway->doh_port, target, " 2>&1"));
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(*output, "200 application/dns-message");

  const ztgate::v1::GetControlStatsResponse stats = ControlStats();
  EXPECT_GE(stats.queries_by_transport().at("doh"), 1u);
  EXPECT_GE(stats.listener_counters().at("doh.http2_connections"), 1u);
  EXPECT_GE(stats.listener_counters().at("doh.http_requests"), 1u);
  EXPECT_THAT(Ctl("control stats"), HasSubstr("queries over doh"));

  const std::string expected = R"("name":"host3.corp.lab","qtype":28,"verdict":"allowed")";
  const std::string log = ReadDecisionLogUntil(expected);
  EXPECT_THAT(log, HasSubstr(expected));
  EXPECT_THAT(log, HasSubstr(R"("transport":"doh")"));
}

// Returns the seconds until the flow of (client, destination) expires, or
// -1 when the dataplane has no such flow.
int64_t FlowSecondsLeft(const std::vector<ztgate::v1::FlowEntry>& flows,
                        const std::string& destination) {
  for (const ztgate::v1::FlowEntry& flow : flows) {
    if (flow.destination() != IpAddress::Parse(destination)->ToBytes()) continue;
    return flow.expires().seconds() - absl::ToUnixSeconds(absl::Now());
  }
  return -1;
}

TEST_F(ControlE2eTest, TtlZeroGetsTheLifetimeFloor) {
  const std::string output = Kdig("ttl0.corp.lab A");
  EXPECT_THAT(output, ::testing::ContainsRegex("ttl0\\.corp\\.lab\\.\\s+0\\s+IN\\s+A\\s+198\\.18\\.0\\.50"));
  // lifetime = max(0 s, 30 s floor) + 5 s grace.
  const int64_t left = FlowSecondsLeft(ListFlows("127.0.0.1"), "198.18.0.50");
  EXPECT_GE(left, 30);
  EXPECT_LE(left, 36);
}

TEST_F(ControlE2eTest, TtlIsCappedAtInstalledLifetime) {
  // Three names share 198.18.0.51. short (TTL 10) installs it for 35 s.
  ASSERT_THAT(Kdig("short.corp.lab A"), HasSubstr("198.18.0.51"));
  // long (TTL 600) wants 605 s; 35 s left is less than half, so it refreshes.
  ASSERT_THAT(Kdig("long.corp.lab A"), HasSubstr("198.18.0.51"));
  EXPECT_GE(FlowSecondsLeft(ListFlows("127.0.0.1"), "198.18.0.51"), 600);
  // longer (TTL 1000) wants 1005 s. About 605 s left is more than half, so
  // there is no RPC, and the released TTL is capped at the 605 s allowed.
  const std::string output = Kdig("longer.corp.lab A");
  EXPECT_THAT(output, ::testing::ContainsRegex("longer\\.corp\\.lab\\.\\s+(60[0-5]|59[0-9])\\s+IN"));
  EXPECT_THAT(output, Not(HasSubstr("1000")));
}

// unbound's local-data does not chase a CNAME into its target, so this
// upstream returns the CNAME alone. The CNAME rule then judges the chain,
// and an answer without addresses needs no flow. Chains with addresses are
// covered by the codec and policy tests (tests/resolver).
TEST_F(ControlE2eTest, CnameWithoutAddressesIsReleased) {
  const std::string output = Kdig("alias.corp.lab A");
  EXPECT_THAT(output, HasSubstr("status: NOERROR"));
  EXPECT_THAT(output, HasSubstr("CNAME\thost3.corp.lab."));
  for (const ztgate::v1::FlowEntry& flow : ListFlows("127.0.0.1")) {
    EXPECT_NE(flow.name(), "alias.corp.lab");
  }
}

TEST_F(ControlE2eTest, HttpsHintsOfClientFamilyAreInstalled) {
  const std::string output = Kdig("svc.corp.lab HTTPS");
  EXPECT_THAT(output, HasSubstr("status: NOERROR"));
  EXPECT_TRUE(HasFlow("127.0.0.1", "198.18.0.60", "svc.corp.lab")) << output;
  // An IPv4 client cannot own an IPv6 flow, so hints of the other family
  // are stripped rather than released unprotected.
  EXPECT_THAT(output, Not(HasSubstr("2001:db8::60")));
}

TEST_F(ControlE2eTest, DecisionLogWritesJsonLines) {
  ASSERT_THAT(Kdig("host3.corp.lab A"), HasSubstr("198.18.0.30"));
  const std::string expected = R"("name":"host3.corp.lab","qtype":1,"verdict":"allowed")";
  const std::string log = ReadDecisionLogUntil(expected);
  EXPECT_THAT(log, HasSubstr(expected));
  EXPECT_THAT(log, HasSubstr(R"("addresses":["198.18.0.30"])"));
  EXPECT_THAT(log, HasSubstr(R"("verdict":"denied")"));
}

TEST_F(ControlE2eTest, DnstapLogIsReadableByKdig) {
  ASSERT_THAT(Kdig("host3.corp.lab AAAA"), HasSubstr("status: NOERROR"));
  // libfstrm writes on its own thread and flushes within a second or so.
  std::string output;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> read =
        RunCommand(StrCat("kdig -G ", gateway->decision_log, ".dnstap 2>&1"));
    if (read.ok() && read->find("host3.corp.lab") != std::string::npos) {
      output = *read;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_THAT(output, HasSubstr("host3.corp.lab"));
  EXPECT_THAT(output, HasSubstr("127.0.0.1"));
}

TEST_F(ControlE2eTest, GroupAuditModeAnswersAndReports) {
  ASSERT_THAT(Ctl("policy mode audit loopback-b"), HasSubstr("mode audit for group loopback-b"));
  EXPECT_THAT(Ctl("dataplane stats"),
              HasSubstr("mode MODE_ENFORCE, flows"))
      << "one group's audit mode leaves the dataplane enforcing for the others";
  EXPECT_THAT(Ctl("dataplane stats"), HasSubstr("audit client prefixes 1,"))
      << "and audits the group's subnet, 127.0.0.2/32";
  const std::string answer = Kdig("host2.corp.lab A", "127.0.0.2");
  ASSERT_THAT(Ctl("policy mode enforce loopback-b"), HasSubstr("mode enforce"));
  EXPECT_THAT(Ctl("dataplane stats"), HasSubstr("audit client prefixes 0,"));

  EXPECT_THAT(answer, HasSubstr("198.18.0.20")) << "audit mode answers a denied name";
  EXPECT_TRUE(HasFlow("127.0.0.2", "198.18.0.20", "host2.corp.lab"))
      << "and installs its flows as in enforcement";
  const std::string report = Ctl("audit report --client 127.0.0.2/32");
  EXPECT_THAT(report, HasSubstr("client 127.0.0.2 (group loopback-b)"));
  EXPECT_THAT(report, HasSubstr("would be denied: host2.corp.lab"));
  EXPECT_THAT(report, HasSubstr("proposed allow: host2.corp.lab"));
  EXPECT_THAT(Kdig("host2.corp.lab A", "127.0.0.2"), HasSubstr("status: REFUSED"))
      << "enforcement is back";
  EXPECT_TRUE(HasFlow("127.0.0.2", "198.18.0.20", "host2.corp.lab"))
      << "switching back alone revokes nothing";
  EXPECT_THAT(Ctl("policy mode enforce loopback-b --revoke"),
              ::testing::ContainsRegex("[1-9][0-9]* flow\\(s\\) revoked"));
  EXPECT_FALSE(HasFlow("127.0.0.2", "198.18.0.20", "host2.corp.lab"))
      << "--revoke removes the flow audit mode installed";
}

TEST_F(ControlE2eTest, RevokeRemovesNowDeniedFlows) {
  ASSERT_THAT(Kdig("host4.corp.lab A"), HasSubstr("198.18.0.40"));
  ASSERT_TRUE(HasFlow("127.0.0.1", "198.18.0.40", "host4.corp.lab"));
  // host3 is allowed to the laptops identity, not to the address's group
  // (loopback-b allows host1 only): revoking must judge the flow by the
  // identity that obtained it.
  const std::string cert = gateway->pki.client_spiffe.certificate;
  ASSERT_THAT(Kdig("host3.corp.lab A", "127.0.0.2", cert), HasSubstr("198.18.0.30"));
  ASSERT_TRUE(HasFlow("127.0.0.2", "198.18.0.30", "host3.corp.lab"));

  ASSERT_THAT(Ctl("policy add loopback-a deny host4.corp.lab"), HasSubstr("1 added"));
  EXPECT_TRUE(HasFlow("127.0.0.1", "198.18.0.40", "host4.corp.lab"))
      << "a policy change does not revoke flows unless asked";
  EXPECT_THAT(Kdig("host4.corp.lab A"), HasSubstr("status: REFUSED"));

  // Replace with the same policy and --revoke: every flow the policy now
  // denies goes (this one, and any an earlier audit-mode test left).
  const std::string dir = gateway->dir.path().string();
  ASSERT_EQ(RunCommand(StrCat(ZTGATECTL_BINARY, " --control unix:", gateway->control_socket,
                              " policy get > ", dir, "/policy.txt"))
                .status(),
            absl::OkStatus());
  EXPECT_THAT(Ctl(StrCat("policy replace ", dir, "/policy.txt --revoke")),
              ::testing::ContainsRegex("[1-9][0-9]* flow\\(s\\) revoked"));
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  while (HasFlow("127.0.0.1", "198.18.0.40", "host4.corp.lab") && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(HasFlow("127.0.0.1", "198.18.0.40", "host4.corp.lab"))
      << "revoked flows: " << Ctl("dataplane flows --client 127.0.0.1/32");
  EXPECT_TRUE(HasFlow("127.0.0.2", "198.18.0.30", "host3.corp.lab"))
      << "a flow the identity's group still allows stays";

  ASSERT_THAT(Ctl("policy remove loopback-a deny host4.corp.lab"), HasSubstr("1 removed"));
  EXPECT_THAT(Kdig("host4.corp.lab A"), HasSubstr("198.18.0.40"));

  // Adding a deny pattern with --revoke removes its flows at once.
  ASSERT_TRUE(HasFlow("127.0.0.1", "198.18.0.40", "host4.corp.lab"));
  EXPECT_THAT(Ctl("policy add loopback-a deny host4.corp.lab --revoke"),
              ::testing::ContainsRegex("1 added, [1-9][0-9]* flow\\(s\\) revoked"));
  EXPECT_FALSE(HasFlow("127.0.0.1", "198.18.0.40", "host4.corp.lab"));
  ASSERT_THAT(Ctl("policy remove loopback-a deny host4.corp.lab"), HasSubstr("1 removed"));
}

TEST_F(ControlE2eTest, PolicyShowIsReadable) {
  const std::string output = Ctl("policy show");
  EXPECT_THAT(output, HasSubstr("group loopback-a (mode global)"));
  EXPECT_THAT(output, HasSubstr("  client   127.0.0.1/32"));
  EXPECT_THAT(output, HasSubstr("  allow    *.corp.lab"));
  EXPECT_THAT(output, HasSubstr("  identity spiffe://corp.lab/laptop-a"));
}

TEST_F(ControlE2eTest, TcpApiRejectsCallerWithoutCertificate) {
  const std::string target = StrCat("127.0.0.1:", gateway->api_port);
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(5);

  auto insecure = ztgate::v1::Policy::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext insecure_context;
  insecure_context.set_deadline(deadline);
  ztgate::v1::GetPolicyResponse response;
  EXPECT_FALSE(insecure->GetPolicy(&insecure_context, {}, &response).ok());

  grpc::SslCredentialsOptions server_only;
  server_only.pem_root_certs = *ReadFileToString(gateway->pki.ca_certificate);
  grpc::ChannelArguments arguments;
  arguments.SetSslTargetNameOverride("dot.lab");
  auto no_client_cert = ztgate::v1::Policy::NewStub(
      grpc::CreateCustomChannel(target, grpc::SslCredentials(server_only), arguments));
  grpc::ClientContext no_cert_context;
  no_cert_context.set_deadline(deadline);
  EXPECT_FALSE(no_client_cert->GetPolicy(&no_cert_context, {}, &response).ok())
      << "TLS without a client certificate must be rejected";

  grpc::SslCredentialsOptions mutual = server_only;
  mutual.pem_cert_chain = *ReadFileToString(gateway->pki.client_cn.certificate);
  mutual.pem_private_key = *ReadFileToString(gateway->pki.client_cn.key);
  auto authenticated = ztgate::v1::Policy::NewStub(
      grpc::CreateCustomChannel(target, grpc::SslCredentials(mutual), arguments));
  grpc::ClientContext context;
  context.set_deadline(deadline);
  grpc::Status status = authenticated->GetPolicy(&context, {}, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace ztgate::controlplane
