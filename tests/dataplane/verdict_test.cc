// Verdict tests through the real ztgate-dataplane binary. The test process
// starts its own EAL with two net_memif server ports and runs the dataplane
// as a child process whose inside and outside ports are net_memif clients of
// them. The test installs flows over the dataplane's real gRPC socket, then
// sends crafted frames into either side and asserts exactly which frames
// leave the other side, byte for byte.
//
// Why memif rather than net_pcap files: net_pcap's rx_pcap reads its whole
// file as soon as the port starts, before any flow can be installed. A memif
// pair lets the test decide when each frame enters, so flows are installed
// first, and it still exercises the binary's own port set-up, worker loop
// and API. The pcap helpers in frame_builder.h write the sent and received
// frames to the test's temporary folder for inspection when a case fails.
#include <arpa/inet.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "dataplane/ports.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/dataplane/eal_environment.h"
#include "tests/dataplane/frame_builder.h"
#include "ztgate/v1/flowtable.grpc.pb.h"

#ifndef ZTGATE_DATAPLANE_BINARY
#error "ZTGATE_DATAPLANE_BINARY must name the ztgate-dataplane executable"
#endif

namespace ztgate::dataplane {
namespace {

using ::ztgate::testing::Bytes;

const std::string& WorkDir() {
  static const std::string dir = [] {
    std::string path = "/tmp/ztgate-verdict-" + std::to_string(getpid());
    mkdir(path.c_str(), 0700);
    return path;
  }();
  return dir;
}

std::string Raw4(const char* text) {
  std::string bytes(4, '\0');
  inet_pton(AF_INET, text, bytes.data());
  return bytes;
}

std::string Raw6(const char* text) {
  std::string bytes(16, '\0');
  inet_pton(AF_INET6, text, bytes.data());
  return bytes;
}

// Idle timeout of the dataplane under test, in seconds: short, so the
// idle-refresh case stays short.
constexpr int kIdleTimeoutSeconds = 3;

class DataplaneProcess {
 public:
  DataplaneProcess() {
    socket_ = WorkDir() + "/dataplane.sock";
    const std::string config_path = WorkDir() + "/dataplane.yaml";
    std::ofstream(config_path) << "table:\n  size: 65536\n  idle_timeout: "
                               << kIdleTimeoutSeconds << "s\n  sweep_interval: 100ms\n"
                               << "exceptions: [192.0.2.53/32, \"2001:db8:53::/48\"]\n"
                               << "api:\n  unix_socket: " << socket_ << "\n";
    const std::vector<std::string> args = {
        ZTGATE_DATAPLANE_BINARY, "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
        "--no-telemetry", "--log-level", "lib.eal:error",
        "--file-prefix=ztgate-verdict-dp-" + std::to_string(getpid()),
        "--vdev=net_memif0,role=client,socket=" + WorkDir() + "/inside.memif",
        "--vdev=net_memif1,role=client,socket=" + WorkDir() + "/outside.memif", "--",
        "--inside", "net_memif0", "--outside", "net_memif1", "--config", config_path};
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = WorkDir() + "/dataplane.log";
      freopen(log.c_str(), "w", stderr);
      freopen((WorkDir() + "/dataplane.out").c_str(), "w", stdout);
      std::vector<char*> argv;
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    channel_ = grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
    stub_ = ztgate::v1::FlowTable::NewStub(channel_);
  }

  ~DataplaneProcess() { Stop(); }

  // Sends SIGTERM and returns the exit status, or -1 when not running.
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Waits for grpc.health.v1 SERVING, for at most `seconds`.
  bool WaitServing(int seconds) {
    auto health = grpc::health::v1::Health::NewStub(channel_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
      grpc::health::v1::HealthCheckResponse response;
      if (health->Check(&context, {}, &response).ok() &&
          response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  ztgate::v1::FlowTable::Stub& stub() { return *stub_; }

 private:
  pid_t pid_ = 0;
  std::string socket_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ztgate::v1::FlowTable::Stub> stub_;
};

class VerdictTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("verdict_pool", 2048, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    for (auto [name, port] : {std::pair{"net_memif0", &inside_}, std::pair{"net_memif1", &outside_}}) {
      absl::StatusOr<uint16_t> id = ResolvePort(name);
      ASSERT_TRUE(id.ok()) << id.status();
      *port = *id;
      ASSERT_TRUE(StartPort(*port, 1, pool_).ok());
    }
    dataplane_ = new DataplaneProcess();
    ASSERT_TRUE(dataplane_->WaitServing(30)) << "see " << WorkDir() << "/dataplane.log";
    ASSERT_TRUE(WaitLinkUp(inside_)) << "the inside memif did not connect";
    ASSERT_TRUE(WaitLinkUp(outside_)) << "the outside memif did not connect";
  }

  static void TearDownTestSuite() {
    if (dataplane_ != nullptr) {
      EXPECT_EQ(dataplane_->Stop(), 0) << "clean shutdown on SIGTERM";
      delete dataplane_;
      dataplane_ = nullptr;
    }
  }

  static bool WaitLinkUp(uint16_t port) {
    for (int i = 0; i < 100; ++i) {
      rte_eth_link link{};
      rte_eth_link_get_nowait(port, &link);
      if (link.link_status == RTE_ETH_LINK_UP) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void SetUp() override {
    Drain(inside_);
    Drain(outside_);
  }

  static void Drain(uint16_t port) {
    rte_mbuf* burst[32];
    for (int i = 0; i < 10; ++i) {
      const uint16_t count = rte_eth_rx_burst(port, 0, burst, 32);
      for (uint16_t j = 0; j < count; ++j) rte_pktmbuf_free(burst[j]);
      if (count == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  static void Send(uint16_t port, const std::vector<Bytes>& frames) {
    for (const Bytes& frame : frames) {
      rte_mbuf* mbuf = rte_pktmbuf_alloc(pool_);
      ASSERT_NE(mbuf, nullptr);
      std::memcpy(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(frame.size())), frame.data(),
                  frame.size());
      for (int attempt = 0; rte_eth_tx_burst(port, 0, &mbuf, 1) == 0; ++attempt) {
        ASSERT_LT(attempt, 1000) << "memif transmit ring stayed full";
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }

  // Collects frames from `port` until `quiet_ms` pass without one, or for
  // at most `max_ms`. The quiet period starts only once `expected` frames
  // have arrived, so a slow (for example CPU-starved) dataplane is waited
  // for up to `max_ms`.
  static std::vector<Bytes> Receive(uint16_t port, int quiet_ms = 300, int max_ms = 3000,
                                    size_t expected = 0) {
    std::vector<Bytes> frames;
    auto last = std::chrono::steady_clock::now();
    const auto deadline = last + std::chrono::milliseconds(max_ms);
    rte_mbuf* burst[32];
    while ((frames.size() < expected ||
            std::chrono::steady_clock::now() - last < std::chrono::milliseconds(quiet_ms)) &&
           std::chrono::steady_clock::now() < deadline) {
      const uint16_t count = rte_eth_rx_burst(port, 0, burst, 32);
      for (uint16_t i = 0; i < count; ++i) {
        const auto* data = rte_pktmbuf_mtod(burst[i], const uint8_t*);
        frames.emplace_back(data, data + rte_pktmbuf_data_len(burst[i]));
        rte_pktmbuf_free(burst[i]);
      }
      if (count > 0) {
        last = std::chrono::steady_clock::now();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    return frames;
  }

  // Sends `sent` into `from` and checks that exactly `expected` (a subset of
  // `sent`, in order) leaves the other port and nothing comes back.
  static void ExpectForwarded(uint16_t from, const std::vector<Bytes>& sent,
                              const std::vector<size_t>& expected, const std::string& label) {
    SCOPED_TRACE(label);
    Send(from, sent);
    const uint16_t to = from == inside_ ? outside_ : inside_;
    const std::vector<Bytes> received = Receive(to, 300, 5000, expected.size());
    testing::WritePcap(WorkDir() + "/" + label + "-sent.pcap", sent);
    testing::WritePcap(WorkDir() + "/" + label + "-received.pcap", received);
    ASSERT_EQ(received.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(received[i], sent[expected[i]]) << "output frame " << i << " should be input frame "
                                                << expected[i];
    }
    EXPECT_TRUE(Receive(from, 50).empty()) << "nothing may go back out of the receiving port";
  }

  static ztgate::v1::InstallFlowsResponse Install(
      const std::vector<std::tuple<std::string, std::string, int>>& flows,
      const std::string& name = "www.example.test") {
    ztgate::v1::InstallFlowsRequest request;
    request.set_batch_id(++batch_id_);
    request.add_names(name);
    for (const auto& [client, destination, lifetime] : flows) {
      ztgate::v1::Flow* flow = request.add_flows();
      flow->set_client(client);
      flow->set_destination(destination);
      flow->mutable_lifetime()->set_seconds(lifetime);
    }
    grpc::ClientContext context;
    auto stream = dataplane_->stub().InstallFlows(&context);
    ztgate::v1::InstallFlowsResponse response;
    EXPECT_TRUE(stream->Write(request));
    EXPECT_TRUE(stream->Read(&response));
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
    return response;
  }

  static ztgate::v1::GetStatsResponse Stats() {
    grpc::ClientContext context;
    ztgate::v1::GetStatsResponse stats;
    EXPECT_TRUE(dataplane_->stub().GetStats(&context, {}, &stats).ok());
    return stats;
  }

  static uint64_t Counter(const google::protobuf::RepeatedPtrField<ztgate::v1::Counter>& counters,
                          const std::string& name) {
    for (const auto& counter : counters) {
      if (counter.name() == name) return counter.value();
    }
    ADD_FAILURE() << "no counter " << name;
    return 0;
  }

  static void SetMode(ztgate::v1::Mode mode) {
    grpc::ClientContext context;
    ztgate::v1::SetModeRequest request;
    request.set_mode(mode);
    ztgate::v1::SetModeResponse response;
    ASSERT_TRUE(dataplane_->stub().SetMode(&context, request, &response).ok());
  }

  // Replaces the audit client list with one IPv4 /32, or empties it.
  static void SetAuditClient(const char* client) {
    grpc::ClientContext context;
    ztgate::v1::SetAuditClientsRequest request;
    if (client != nullptr) {
      ztgate::v1::Prefix* prefix = request.add_clients();
      prefix->set_address(Raw4(client));
      prefix->set_prefix_length(32);
    }
    ztgate::v1::SetAuditClientsResponse response;
    ASSERT_TRUE(dataplane_->stub().SetAuditClients(&context, request, &response).ok());
    EXPECT_EQ(response.prefixes(), client == nullptr ? 0u : 1u);
  }

  static inline rte_mempool* pool_ = nullptr;
  static inline uint16_t inside_ = 0;
  static inline uint16_t outside_ = 0;
  static inline DataplaneProcess* dataplane_ = nullptr;
  static inline uint64_t batch_id_ = 0;
};

TEST_F(VerdictTest, InsideToOutsideFollowsTheTable) {
  const auto response = Install({{Raw4("198.18.0.1"), Raw4("203.0.113.7"), 60},
                                 {Raw6("2001:db8::1"), Raw6("2001:db8:1::7"), 60}});
  ASSERT_EQ(response.installed() + response.refreshed(), 2u);

  testing::Ipv4Options later_fragment;
  later_fragment.fragment_field = 0x0010;
  testing::Ipv6Options v6_fragment;
  v6_fragment.extension_headers = {{0, {0, 1, 4, 0, 0, 0, 0}}, testing::Ipv6FragmentHeader(4, false)};
  const Bytes allowed = testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Tcp(40000, 443));
  Bytes truncated = allowed;
  truncated.resize(30);
  const std::vector<Bytes> sent = {
      allowed,                                                                          // 0 pass
      testing::Ipv4Frame("198.18.0.1", "203.0.113.8", testing::Tcp(40000, 443)),        // 1 no flow
      testing::Ipv4Frame("198.18.0.2", "203.0.113.7", testing::Tcp(40000, 443)),        // 2 other client
      testing::Ipv6Frame("2001:db8::1", "2001:db8:1::7", testing::Udp(5000, 443)),      // 3 pass
      testing::Ipv4Frame("198.18.0.1", "192.0.2.53", testing::Udp(5353, 53)),           // 4 exception
      testing::Ipv6Frame("2001:db8::1", "2001:db8:53::1", testing::Udp(5353, 53)),      // 5 exception
      testing::ArpFrame(),                                                              // 6 ARP
      testing::EthernetFrame(0x0800, testing::Ipv4Packet("198.18.0.1", "203.0.113.7",
                                                         testing::Udp(1, 2)), {0x8100}),  // 7 VLAN
      testing::EthernetFrame(0x0800, testing::Ipv4Packet("198.18.0.1", "203.0.113.9",
                                                         testing::Udp(1, 2)), {0x8100}),  // 8 VLAN, no flow
      testing::Ipv4Frame("198.18.0.1", "203.0.113.7", {17, Bytes(16, 1)}, later_fragment),  // 9 fragment
      testing::Ipv4Frame("198.18.0.1", "203.0.113.9", {17, Bytes(16, 1)}, later_fragment),  // 10
      testing::Ipv6Frame("2001:db8::1", "2001:db8:1::7", {17, Bytes(16, 2)}, v6_fragment),  // 11
      testing::Ipv4Frame("0.0.0.0", "255.255.255.255", testing::Udp(68, 67)),           // 12 DHCP
      testing::Ipv6Frame("fe80::1", "ff02::1:2", testing::Udp(546, 547)),               // 13 DHCPv6
      truncated,                                                                        // 14 malformed
      Bytes(60, 0xee),                                                                  // 15 garbage
      testing::EthernetFrame(0x88cc, Bytes(46, 0)),                                     // 16 LLDP
      testing::Ipv6Frame("::ffff:198.18.0.1", "2001:db8:1::7", testing::Udp(1, 2)),     // 17 mapped
  };
  ExpectForwarded(inside_, sent, {0, 3, 4, 5, 6, 7, 9, 11, 12, 13}, "inside-to-outside");
}

TEST_F(VerdictTest, OutsideToInsideAdmitsRepliesOnly) {
  Install({{Raw4("198.18.0.1"), Raw4("203.0.113.7"), 60}});
  testing::Ipv6Options ndp;
  ndp.hop_limit = 255;
  testing::Ipv6Options ndp_routed;  // Hop limit below 255: forwarded by a router, not NDP.
  ndp_routed.hop_limit = 64;
  const Bytes quoted_allowed =
      testing::Ipv4Packet("198.18.0.1", "203.0.113.7", testing::Tcp(40000, 443));
  const Bytes quoted_other =
      testing::Ipv4Packet("198.18.0.1", "203.0.113.99", testing::Tcp(40000, 443));
  const Bytes quoted_other_client =
      testing::Ipv4Packet("198.18.0.2", "203.0.113.7", testing::Tcp(40000, 443));
  const std::vector<Bytes> sent = {
      testing::Ipv4Frame("203.0.113.7", "198.18.0.1", testing::Tcp(443, 40000)),   // 0 reply
      testing::Ipv4Frame("203.0.113.8", "198.18.0.1", testing::Tcp(443, 40000)),   // 1 unsolicited
      testing::Ipv4Frame("192.0.2.53", "198.18.0.1", testing::Udp(53, 5353)),      // 2 exception
      testing::Ipv6Frame("fe80::1", "ff02::1", testing::Icmpv6(134, 0), ndp),       // 3 RA
      testing::Ipv6Frame("fe80::1", "ff02::1", testing::Icmpv6(136, 0), ndp_routed),  // 4
      // Fragmentation needed from a router for the allowed pair (PMTUD).
      testing::Ipv4Frame("192.0.2.254", "198.18.0.1", testing::Icmp(3, 4, quoted_allowed)),  // 5
      testing::Ipv4Frame("192.0.2.254", "198.18.0.1", testing::Icmp(3, 4, quoted_other)),    // 6
      // Quotes another client's packet: must not borrow its pair.
      testing::Ipv4Frame("192.0.2.254", "198.18.0.1", testing::Icmp(11, 0, quoted_other_client)),  // 7
      testing::Ipv4Frame("192.0.2.1", "198.18.0.9", testing::Udp(67, 68)),         // 8 DHCP offer
  };
  ExpectForwarded(outside_, sent, {0, 2, 3, 5, 8}, "outside-to-inside");
}

TEST_F(VerdictTest, ExpiryAndIdleRefresh) {
  Install({{Raw4("198.18.0.30"), Raw4("203.0.113.30"), 1},
           {Raw4("198.18.0.31"), Raw4("203.0.113.31"), 1}});
  const Bytes expiring = testing::Ipv4Frame("198.18.0.30", "203.0.113.30", testing::Udp(1, 2));
  const Bytes refreshed = testing::Ipv4Frame("198.18.0.31", "203.0.113.31", testing::Udp(1, 2));
  // Only the second pair gets a packet before its 1 s deadline.
  ExpectForwarded(inside_, {refreshed}, {0}, "idle-first");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // Past the 1 s deadline: the first pair is dead, the second lives until
  // the idle timeout after its last packet.
  ExpectForwarded(inside_, {expiring, refreshed}, {1}, "idle-second");
  EXPECT_GE(Counter(Stats().drops(), "expired") + Counter(Stats().drops(), "no_flow"), 1u);
}

TEST_F(VerdictTest, AuditModeForwardsAndCountsWouldBeDrops) {
  const uint64_t audited_before = Counter(Stats().audited(), "no_flow");
  SetMode(ztgate::v1::MODE_AUDIT);
  const std::vector<Bytes> sent = {
      testing::Ipv4Frame("198.18.0.40", "203.0.113.40", testing::Udp(1, 2)),
      testing::Ipv4Frame("198.18.0.41", "203.0.113.41", testing::Udp(1, 2)),
  };
  ExpectForwarded(inside_, sent, {0, 1}, "audit");
  SetMode(ztgate::v1::MODE_ENFORCE);
  EXPECT_EQ(Counter(Stats().audited(), "no_flow"), audited_before + 2);
  EXPECT_EQ(Stats().mode(), ztgate::v1::MODE_ENFORCE);
  ExpectForwarded(inside_, sent, {}, "enforce-again");
}

TEST_F(VerdictTest, AuditClientsAreAuditedInEnforceMode) {
  const uint64_t audited_before = Counter(Stats().audited(), "no_flow");
  SetAuditClient("198.18.0.42");
  EXPECT_EQ(Stats().audit_client_prefixes(), 1u);
  const std::vector<Bytes> sent = {
      testing::Ipv4Frame("198.18.0.42", "203.0.113.42", testing::Udp(1, 2)),
      testing::Ipv4Frame("198.18.0.43", "203.0.113.43", testing::Udp(1, 2)),
  };
  ExpectForwarded(inside_, sent, {0}, "audit-client");
  // From the outside the client is the destination address.
  ExpectForwarded(outside_,
                  {testing::Ipv4Frame("203.0.113.42", "198.18.0.42", testing::Udp(2, 1))}, {0},
                  "audit-client-reply");
  SetAuditClient(nullptr);
  EXPECT_EQ(Counter(Stats().audited(), "no_flow"), audited_before + 2);
  ExpectForwarded(inside_, sent, {}, "audit-client-removed");
}

TEST_F(VerdictTest, WatchDropsStreamsSampledDrops) {
  grpc::ClientContext context;
  ztgate::v1::WatchDropsRequest request;
  ztgate::v1::Prefix* client = request.add_clients();
  client->set_address(Raw4("198.18.0.50"));
  client->set_prefix_length(32);
  auto reader = dataplane_->stub().WatchDrops(&context, request);
  // The stream is open once the server has registered the watcher; a short
  // retry loop sends until a sample arrives.
  std::atomic<bool> received{false};
  std::thread sender([&received] {
    for (int i = 0; i < 50 && !received.load(); ++i) {
      Send(inside_, {testing::Ipv4Frame("198.18.0.50", "203.0.113.50", testing::Udp(1234, 8443)),
                     testing::Ipv4Frame("198.18.0.51", "203.0.113.51", testing::Udp(1, 2))});
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  ztgate::v1::WatchDropsResponse response;
  const bool read = reader->Read(&response);
  received.store(true);
  context.TryCancel();
  sender.join();
  ASSERT_TRUE(read);
  ASSERT_GT(response.drops_size(), 0);
  const ztgate::v1::DropEvent& event = response.drops(0);
  EXPECT_EQ(event.client(), Raw4("198.18.0.50")) << "the filter admits only this client";
  EXPECT_EQ(event.destination(), Raw4("203.0.113.50"));
  EXPECT_EQ(event.reason(), "no_flow");
  EXPECT_EQ(event.ip_protocol(), 17u);
  EXPECT_EQ(event.destination_port(), 8443u);
  EXPECT_FALSE(event.audited());
}

// Installs and removes a flow over the API while a thread keeps sending the
// pair's packets: they pass only between the install and the removal.
TEST_F(VerdictTest, InstallAndRemoveWhileTrafficFlows) {
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    int sequence = 0;
    while (!stop.load()) {
      Send(inside_, {testing::Ipv4Frame("198.18.0.60", "203.0.113.60",
                                        testing::Udp(static_cast<uint16_t>(1000 + sequence++ % 1000), 53))});
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  EXPECT_TRUE(Receive(outside_, 200).empty()) << "dropped before the install";
  Install({{Raw4("198.18.0.60"), Raw4("203.0.113.60"), 60}});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::vector<Bytes> passing = Receive(outside_, 100, 300);
  EXPECT_GT(passing.size(), 10u) << "passes once installed";

  grpc::ClientContext context;
  ztgate::v1::RemoveFlowsRequest remove;
  ztgate::v1::FlowKey* key = remove.add_flows();
  key->set_client(Raw4("198.18.0.60"));
  key->set_destination(Raw4("203.0.113.60"));
  ztgate::v1::RemoveFlowsResponse removed;
  ASSERT_TRUE(dataplane_->stub().RemoveFlows(&context, remove, &removed).ok());
  EXPECT_EQ(removed.removed(), 1u);
  // RemoveFlows returns after the QSBR grace period, so frames sent from now
  // on are dropped; drain what was already in flight first.
  Receive(outside_, 50);
  EXPECT_TRUE(Receive(outside_, 200).empty()) << "dropped after the removal";
  stop.store(true);
  sender.join();
}

TEST_F(VerdictTest, ListFlowsAndStatsReportTheTable) {
  Install({{Raw4("198.18.0.70"), Raw4("203.0.113.70"), 60}}, "list.example.test");
  grpc::ClientContext context;
  ztgate::v1::ListFlowsRequest request;
  ztgate::v1::Prefix* client = request.add_clients();
  client->set_address(Raw4("198.18.0.70"));
  client->set_prefix_length(32);
  auto reader = dataplane_->stub().ListFlows(&context, request);
  ztgate::v1::ListFlowsResponse page;
  std::vector<ztgate::v1::FlowEntry> flows;
  while (reader->Read(&page)) flows.insert(flows.end(), page.flows().begin(), page.flows().end());
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].name(), "list.example.test");
  EXPECT_EQ(flows[0].destination(), Raw4("203.0.113.70"));

  const ztgate::v1::GetStatsResponse stats = Stats();
  EXPECT_GE(stats.flows(), 1u);
  EXPECT_EQ(stats.flow_capacity(), 65536u);
  EXPECT_EQ(stats.exception_prefixes(), 2u);
  EXPECT_EQ(stats.ports_size(), 2);
}

TEST_F(VerdictTest, SetExceptionsReplacesTheList) {
  const Bytes to_new = testing::Ipv4Frame("198.18.0.80", "198.51.100.80", testing::Udp(1, 53));
  const Bytes to_old = testing::Ipv4Frame("198.18.0.80", "192.0.2.53", testing::Udp(1, 53));
  grpc::ClientContext context;
  ztgate::v1::SetExceptionsRequest request;
  ztgate::v1::Prefix* prefix = request.add_prefixes();
  prefix->set_address(Raw4("198.51.100.0"));
  prefix->set_prefix_length(24);
  ztgate::v1::SetExceptionsResponse response;
  ASSERT_TRUE(dataplane_->stub().SetExceptions(&context, request, &response).ok());
  EXPECT_EQ(response.prefixes(), 1u);
  ExpectForwarded(inside_, {to_new, to_old}, {0}, "exceptions-replaced");

  grpc::ClientContext restore_context;
  ztgate::v1::SetExceptionsRequest restore;
  ztgate::v1::Prefix* dns = restore.add_prefixes();
  dns->set_address(Raw4("192.0.2.53"));
  dns->set_prefix_length(32);
  ztgate::v1::Prefix* dns6 = restore.add_prefixes();
  dns6->set_address(Raw6("2001:db8:53::"));
  dns6->set_prefix_length(48);
  ASSERT_TRUE(dataplane_->stub().SetExceptions(&restore_context, restore, &response).ok());

  grpc::ClientContext bad_context;
  ztgate::v1::SetExceptionsRequest bad;
  ztgate::v1::Prefix* host_bits = bad.add_prefixes();
  host_bits->set_address(Raw4("198.51.100.1"));
  host_bits->set_prefix_length(24);
  EXPECT_EQ(dataplane_->stub().SetExceptions(&bad_context, bad, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace ztgate::dataplane

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string& dir = ztgate::dataplane::WorkDir();
  ::testing::AddGlobalTestEnvironment(new ztgate::testing::EalEnvironment(
      {"--vdev=net_memif0,role=server,socket=" + dir + "/inside.memif",
       "--vdev=net_memif1,role=server,socket=" + dir + "/outside.memif"}));
  const int rc = RUN_ALL_TESTS();
  if (rc == 0) std::system(("rm -rf " + dir).c_str());
  return rc;
}
