// Runs the Forwarder on a real worker lcore between two ring-backed ports
// and checks which frames leave each side. Each port reads from one ring and
// writes to another, so the test injects frames and collects the output.
#include "dataplane/forwarder.h"

#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "dataplane/flow_store.h"
#include "dataplane/ports.h"
#include "tests/dataplane/eal_environment.h"
#include "tests/dataplane/frame_builder.h"

namespace ztgate::dataplane {
namespace {

constexpr unsigned kRingSize = 256;

struct RingPort {
  uint16_t port = 0;
  rte_ring* rx = nullptr;  // Frames the test injects; the port receives them.
  rte_ring* tx = nullptr;  // Frames the port transmits; the test collects them.
};

RingPort MakeRingPort(const std::string& name) {
  RingPort ring_port;
  ring_port.rx = rte_ring_create((name + "_rx").c_str(), kRingSize, SOCKET_ID_ANY,
                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
  ring_port.tx = rte_ring_create((name + "_tx").c_str(), kRingSize, SOCKET_ID_ANY,
                                 RING_F_SP_ENQ | RING_F_SC_DEQ);
  EXPECT_NE(ring_port.rx, nullptr);
  EXPECT_NE(ring_port.tx, nullptr);
  const int port = rte_eth_from_rings(name.c_str(), &ring_port.rx, 1, &ring_port.tx, 1,
                                      SOCKET_ID_ANY);
  EXPECT_GE(port, 0);
  ring_port.port = static_cast<uint16_t>(port);
  return ring_port;
}

rte_mbuf* MakeFrame(rte_mempool* pool, uint16_t ethertype, uint16_t length) {
  rte_mbuf* mbuf = rte_pktmbuf_alloc(pool);
  char* data = rte_pktmbuf_append(mbuf, length);
  std::memset(data, 0, length);
  if (length >= sizeof(rte_ether_hdr)) {
    auto* ether = reinterpret_cast<rte_ether_hdr*>(data);
    ether->ether_type = rte_cpu_to_be_16(ethertype);
  }
  return mbuf;
}

// Collects up to `expected` frames from `ring`, waiting at most one second.
std::vector<rte_mbuf*> Collect(rte_ring* ring, unsigned expected) {
  std::vector<rte_mbuf*> frames;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (frames.size() < expected && std::chrono::steady_clock::now() < deadline) {
    void* object = nullptr;
    if (rte_ring_sc_dequeue(ring, &object) == 0) {
      frames.push_back(static_cast<rte_mbuf*>(object));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return frames;
}

uint64_t CountVerdicts(const WorkerCounters& counters) {
  uint64_t total = 0;
  for (const SingleWriterCounter& counter : counters.audited) total += counter.Read();
  for (const SingleWriterCounter& counter : counters.drops) total += counter.Read();
  for (const SingleWriterCounter& counter : counters.passes) total += counter.Read();
  return total;
}

// Waits, for at most one second, until the worker has counted `expected`
// verdicts, so the checks that follow read final counters.
bool WaitForVerdicts(const WorkerCounters& counters, uint64_t expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (CountVerdicts(counters) < expected) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

uint16_t EthertypeOf(rte_mbuf* mbuf) {
  return rte_be_to_cpu_16(rte_pktmbuf_mtod(mbuf, rte_ether_hdr*)->ether_type);
}

// rte_eth_from_rings() names its port "net_ring_" followed by the given name.
class ForwarderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("test_pool", 4096, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    inside_ = MakeRingPort("ring_inside");
    outside_ = MakeRingPort("ring_outside");
    for (uint16_t port : {inside_.port, outside_.port}) {
      absl::Status status = StartPort(port, 1, pool_);
      ASSERT_TRUE(status.ok()) << status;
    }
  }

  static rte_mempool* pool_;
  static RingPort inside_;
  static RingPort outside_;
};

rte_mempool* ForwarderTest::pool_ = nullptr;
RingPort ForwarderTest::inside_;
RingPort ForwarderTest::outside_;

TEST_F(ForwarderTest, ResolvesPortByNameAndNumber) {
  absl::StatusOr<uint16_t> by_name = ResolvePort("net_ring_ring_inside");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(*by_name, inside_.port);
  absl::StatusOr<uint16_t> by_number = ResolvePort(std::to_string(outside_.port));
  ASSERT_TRUE(by_number.ok()) << by_number.status();
  EXPECT_EQ(*by_number, outside_.port);
  EXPECT_EQ(ResolvePort("net_missing0").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ForwarderTest, NullVdevReceivesAndTransmits) {
  absl::StatusOr<uint16_t> port = ResolvePort("net_null0");
  ASSERT_TRUE(port.ok()) << port.status();
  ASSERT_TRUE(StartPort(*port, 1, pool_).ok());
  rte_mbuf* burst[32];
  const uint16_t received = rte_eth_rx_burst(*port, 0, burst, 32);
  EXPECT_EQ(received, 32) << "net_null generates a full burst on every poll";
  const uint16_t sent = rte_eth_tx_burst(*port, 0, burst, received);
  EXPECT_EQ(sent, received) << "net_null accepts and frees every frame";
  for (uint16_t i = sent; i < received; ++i) rte_pktmbuf_free(burst[i]);
  StopPort(*port);
}

// A Forwarder with its own allow table, exception list and audit client
// list, run on the first worker lcore until the object is destroyed.
class RunningForwarder {
 public:
  RunningForwarder(ForwarderPorts ports, const DataplaneConfig& config,
                   const std::vector<IpPrefix>& audit_clients = {}) {
    qsbr_ = std::move(*CreateQsbr(1));
    AllowTable::Options options;
    options.name = "fwd_test_flows_" + std::to_string(next_id_++);
    options.capacity = 1024;
    options.idle_ticks = rte_get_tsc_hz() * 60;
    table_ = std::move(*AllowTable::Create(options, qsbr_.get()));
    exceptions_ = std::make_unique<Exceptions>(qsbr_.get(), 0);
    EXPECT_TRUE(exceptions_->Replace(config.exceptions).ok());
    audit_clients_ = std::make_unique<Exceptions>(qsbr_.get(), 0);
    EXPECT_TRUE(audit_clients_->Replace(audit_clients).ok());
    sampler_ = std::move(*DropSampler::Create(1));
    forwarder_ = std::make_unique<Forwarder>(
        ports, 1,
        ForwarderShared{table_.get(), exceptions_.get(), qsbr_.get(), sampler_.get(),
                        PassPolicyFromConfig(config), audit_clients_.get()},
        config.mode);
    store_ = std::make_unique<FlowStore>(*table_, [] { return rte_rdtsc(); }, rte_get_tsc_hz());
    worker_ = rte_get_next_lcore(-1, 1, 0);
    EXPECT_LT(worker_, RTE_MAX_LCORE) << "the EAL needs a worker lcore";
    EXPECT_EQ(rte_eal_remote_launch(
                  [](void* arg) {
                    static_cast<Forwarder*>(arg)->Run(0);
                    return 0;
                  },
                  forwarder_.get(), worker_),
              0);
  }
  ~RunningForwarder() {
    forwarder_->Stop();
    rte_eal_wait_lcore(worker_);
  }

  const WorkerCounters& counters() const { return forwarder_->counters()[0]; }
  FlowStore& store() { return *store_; }

 private:
  static inline int next_id_ = 0;
  QsbrPtr qsbr_;
  std::unique_ptr<AllowTable> table_;
  std::unique_ptr<Exceptions> exceptions_;
  std::unique_ptr<Exceptions> audit_clients_;
  std::unique_ptr<DropSampler> sampler_;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<FlowStore> store_;
  unsigned worker_ = 0;
};

rte_mbuf* MakeFrameFrom(rte_mempool* pool, const testing::Bytes& bytes) {
  rte_mbuf* mbuf = rte_pktmbuf_alloc(pool);
  char* data = rte_pktmbuf_append(mbuf, static_cast<uint16_t>(bytes.size()));
  std::memcpy(data, bytes.data(), bytes.size());
  return mbuf;
}

std::string Raw4(const char* text) {
  std::string bytes(4, '\0');
  inet_pton(AF_INET, text, bytes.data());
  return bytes;
}

// An InstallFlows request for one (client, destination) pair, 60 s.
ztgate::v1::InstallFlowsRequest OnePair(const char* client, const char* destination) {
  ztgate::v1::InstallFlowsRequest request;
  ztgate::v1::Flow* flow = request.add_flows();
  flow->set_client(Raw4(client));
  flow->set_destination(Raw4(destination));
  flow->mutable_lifetime()->set_seconds(60);
  return request;
}

TEST_F(ForwarderTest, ArpPassesAndIpIsDeniedWithoutFlows) {
  DataplaneConfig config;
  RunningForwarder running({inside_.port, outside_.port}, config);

  rte_mbuf* frames[] = {
      MakeFrame(pool_, RTE_ETHER_TYPE_ARP, 60),
      MakeFrameFrom(pool_, testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Udp(1, 2))),
      MakeFrameFrom(pool_, testing::Ipv6Frame("2001:db8::1", "2001:db8:1::7", testing::Tcp(1, 2))),
      MakeFrame(pool_, 0x88cc, 60),  // LLDP: not configured to pass.
      MakeFrame(pool_, RTE_ETHER_TYPE_ARP, 10),  // Shorter than an Ethernet header.
  };
  ASSERT_EQ(rte_ring_enqueue_bulk(inside_.rx, reinterpret_cast<void**>(frames), 5, nullptr), 5u);

  std::vector<rte_mbuf*> out = Collect(outside_.tx, 1);
  ASSERT_TRUE(WaitForVerdicts(running.counters(), 5)) << "the worker classified too few frames";

  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(EthertypeOf(out[0]), RTE_ETHER_TYPE_ARP);
  EXPECT_EQ(rte_ring_count(inside_.tx), 0u) << "nothing may be sent back to the inside";
  for (rte_mbuf* mbuf : out) rte_pktmbuf_free(mbuf);

  const WorkerCounters& counters = running.counters();
  EXPECT_EQ(counters.passes[static_cast<size_t>(PassReason::kArp)].Read(), 1u);
  EXPECT_EQ(counters.drops[static_cast<size_t>(DropReason::kNoFlow)].Read(), 2u);
  EXPECT_EQ(counters.drops[static_cast<size_t>(DropReason::kEthertype)].Read(), 1u);
  EXPECT_EQ(counters.drops[static_cast<size_t>(DropReason::kMalformed)].Read(), 1u);
}

TEST_F(ForwarderTest, ConfiguredEthertypePasses) {
  DataplaneConfig config;
  config.pass_ethertypes = {0x88cc};
  RunningForwarder running({inside_.port, outside_.port}, config);
  rte_mbuf* frame = MakeFrame(pool_, 0x88cc, 60);
  ASSERT_EQ(rte_ring_enqueue(outside_.rx, frame), 0);
  std::vector<rte_mbuf*> out = Collect(inside_.tx, 1);

  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(EthertypeOf(out[0]), 0x88cc);
  rte_pktmbuf_free(out[0]);
  EXPECT_EQ(running.counters().passes[static_cast<size_t>(PassReason::kEthertype)].Read(), 1u);
}

TEST_F(ForwarderTest, InstalledPairPassesBothWays) {
  DataplaneConfig config;
  RunningForwarder running({inside_.port, outside_.port}, config);
  ASSERT_EQ(running.store().Install(OnePair("198.18.0.1", "203.0.113.7")).installed(), 1u);

  rte_mbuf* request_frame =
      MakeFrameFrom(pool_, testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Tcp(40000, 443)));
  rte_mbuf* reply_frame =
      MakeFrameFrom(pool_, testing::Ipv4Frame("203.0.113.7", "198.18.0.1", testing::Tcp(443, 40000)));
  rte_mbuf* stranger =
      MakeFrameFrom(pool_, testing::Ipv4Frame("203.0.113.8", "198.18.0.1", testing::Tcp(443, 40000)));
  ASSERT_EQ(rte_ring_enqueue(inside_.rx, request_frame), 0);
  ASSERT_EQ(rte_ring_enqueue(outside_.rx, reply_frame), 0);
  ASSERT_EQ(rte_ring_enqueue(outside_.rx, stranger), 0);
  std::vector<rte_mbuf*> out = Collect(outside_.tx, 1);
  std::vector<rte_mbuf*> in = Collect(inside_.tx, 1);
  ASSERT_TRUE(WaitForVerdicts(running.counters(), 3));
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(in.size(), 1u);
  for (rte_mbuf* mbuf : out) rte_pktmbuf_free(mbuf);
  for (rte_mbuf* mbuf : in) rte_pktmbuf_free(mbuf);
  EXPECT_EQ(running.counters().passes[static_cast<size_t>(PassReason::kFlow)].Read(), 2u);
  EXPECT_EQ(running.counters().drops[static_cast<size_t>(DropReason::kNoFlow)].Read(), 1u);
}

// Splits `bytes` into a chain of mbufs at the given offsets.
rte_mbuf* MakeChain(rte_mempool* pool, const testing::Bytes& bytes,
                    const std::vector<size_t>& cuts) {
  rte_mbuf* head = nullptr;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (size_t end : ends) {
    rte_mbuf* segment = rte_pktmbuf_alloc(pool);
    char* data = rte_pktmbuf_append(segment, static_cast<uint16_t>(end - start));
    std::memcpy(data, bytes.data() + start, end - start);
    if (head == nullptr) {
      head = segment;
    } else {
      EXPECT_EQ(rte_pktmbuf_chain(head, segment), 0);
    }
    start = end;
  }
  return head;
}

TEST_F(ForwarderTest, ChainedFrameParsesAcrossSegments) {
  DataplaneConfig config;
  RunningForwarder running({inside_.port, outside_.port}, config);
  ASSERT_EQ(running.store().Install(OnePair("198.18.0.2", "203.0.113.20")).installed(), 1u);

  // Cuts inside the IPv4 header (byte 20) and inside the TCP header (40),
  // as scattered receive could place them.
  const testing::Bytes allowed =
      testing::Ipv4Frame("198.18.0.2", "203.0.113.20", testing::Tcp(40001, 443));
  const testing::Bytes denied =
      testing::Ipv4Frame("198.18.0.2", "203.0.113.21", testing::Tcp(40001, 443));
  rte_mbuf* allowed_chain = MakeChain(pool_, allowed, {20, 40});
  ASSERT_EQ(allowed_chain->nb_segs, 3);
  ASSERT_EQ(rte_ring_enqueue(inside_.rx, allowed_chain), 0);
  ASSERT_EQ(rte_ring_enqueue(inside_.rx, MakeChain(pool_, denied, {20, 40})), 0);

  std::vector<rte_mbuf*> out = Collect(outside_.tx, 1);
  ASSERT_TRUE(WaitForVerdicts(running.counters(), 2));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(rte_pktmbuf_pkt_len(out[0]), allowed.size());
  for (rte_mbuf* mbuf : out) rte_pktmbuf_free(mbuf);
  EXPECT_EQ(running.counters().passes[static_cast<size_t>(PassReason::kFlow)].Read(), 1u);
  EXPECT_EQ(running.counters().drops[static_cast<size_t>(DropReason::kNoFlow)].Read(), 1u);
  EXPECT_EQ(running.counters().drops[static_cast<size_t>(DropReason::kMalformed)].Read(), 0u)
      << "a header split across segments is not truncated";
}

TEST_F(ForwarderTest, AuditModeForwardsWouldBeDrops) {
  DataplaneConfig config;
  config.mode = EnforcementMode::kAudit;
  RunningForwarder running({inside_.port, outside_.port}, config);
  rte_mbuf* frame =
      MakeFrameFrom(pool_, testing::Ipv4Frame("198.18.0.1", "203.0.113.9", testing::Udp(1, 2)));
  ASSERT_EQ(rte_ring_enqueue(inside_.rx, frame), 0);
  std::vector<rte_mbuf*> out = Collect(outside_.tx, 1);
  ASSERT_EQ(out.size(), 1u);
  rte_pktmbuf_free(out[0]);
  EXPECT_EQ(running.counters().audited[static_cast<size_t>(DropReason::kNoFlow)].Read(), 1u);
  EXPECT_EQ(running.counters().drops[static_cast<size_t>(DropReason::kNoFlow)].Read(), 0u);
}

}  // namespace
TEST_F(ForwarderTest, AuditClientsForwardTheirWouldBeDrops) {
  DataplaneConfig config;  // Enforce mode.
  RunningForwarder running({inside_.port, outside_.port}, config,
                           {*IpPrefix::Parse("198.18.0.1/32")});
  for (const char* client : {"198.18.0.1", "198.18.0.2"}) {
    rte_mbuf* frame =
        MakeFrameFrom(pool_, testing::Ipv4Frame(client, "203.0.113.9", testing::Udp(1, 2)));
    ASSERT_EQ(rte_ring_enqueue(inside_.rx, frame), 0);
  }
  std::vector<rte_mbuf*> out = Collect(outside_.tx, 1);
  ASSERT_EQ(out.size(), 1u) << "only the audit client's frame leaves";
  rte_pktmbuf_free(out[0]);
  ASSERT_TRUE(WaitForVerdicts(running.counters(), 2));
  EXPECT_EQ(running.counters().audited[static_cast<size_t>(DropReason::kNoFlow)].Read(), 1u);
  EXPECT_EQ(running.counters().drops[static_cast<size_t>(DropReason::kNoFlow)].Read(), 1u);
}

}  // namespace ztgate::dataplane

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new ztgate::testing::EalEnvironment({"--vdev=net_null0"}));
  return RUN_ALL_TESTS();
}
