// Install before release against a real ztgate-dataplane process (ring
// vdevs, --no-huge): acknowledgements, an acknowledgement held back by
// pausing the dataplane (SIGSTOP), fail closed, the mirror's skip, resync of
// 10,000 flows after a dataplane restart, and the mirror rebuilt after a
// control plane restart.
#include "controlplane/flow_installer.h"

#include <chrono>
#include <fstream>
#include <future>

#include <gtest/gtest.h>

#include "tests/support/daemon_process.h"
#include "ztgate/v1/flowtable.grpc.pb.h"

namespace ztgate::controlplane {
namespace {

using ztgate::testing::DaemonProcess;
using ztgate::testing::TempDir;

constexpr absl::Duration kStartTimeout = absl::Seconds(60);

IpAddress Client() { return *IpAddress::Parse("198.18.0.10"); }

IpAddress Destination(uint32_t n) {
  return IpAddress::FromV4({198, 19, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
}

std::vector<FlowToInstall> Flows(uint32_t first, uint32_t count, absl::Duration lifetime) {
  std::vector<FlowToInstall> flows;
  for (uint32_t i = first; i < first + count; ++i) {
    flows.push_back({Client(), Destination(i), lifetime, "www.corp.lab", nullptr});
  }
  return flows;
}

// Runs one Install() and waits for its callback.
class InstallResult {
 public:
  InstallCallback Callback() {
    return [this](absl::StatusOr<absl::Duration> lifetime) { promise_.set_value(lifetime); };
  }
  bool ReadyWithin(absl::Duration timeout) {
    return future_.wait_for(absl::ToChronoMilliseconds(timeout)) == std::future_status::ready;
  }
  absl::StatusOr<absl::Duration> Get() { return future_.get(); }

 private:
  std::promise<absl::StatusOr<absl::Duration>> promise_;
  std::future<absl::StatusOr<absl::Duration>> future_ = promise_.get_future();
};

absl::StatusOr<absl::Duration> InstallAndWait(FlowInstaller& installer,
                                              std::vector<FlowToInstall> flows) {
  InstallResult result;
  installer.Install(Client(), std::move(flows), result.Callback());
  if (!result.ReadyWithin(absl::Seconds(30))) return absl::DeadlineExceededError("no callback");
  return result.Get();
}

class FlowInstallerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = (dir_.path() / "dataplane.sock").string();
    std::ofstream(dir_.path() / "dataplane.yaml")
        << "table:\n  size: 65536\napi:\n  unix_socket: " << socket_ << "\n";
    StartDataplane();
  }

  void StartDataplane() {
    const std::vector<std::string> argv = {
        ZTGATE_DATAPLANE_BINARY, "-l", "0,1", "--no-huge", "-m", "512", "--no-pci",
        "--no-telemetry", "--file-prefix=" + ztgate::testing::UniqueFilePrefix("installer"),
        "--vdev=net_ring0", "--vdev=net_ring1", "--", "--inside", "net_ring0", "--outside",
        "net_ring1", "--config", (dir_.path() / "dataplane.yaml").string()};
    ASSERT_TRUE(dataplane_.Start(argv, dir_.path() / "dataplane.log").ok());
    absl::Status serving = dataplane_.WaitServing("unix:" + socket_, kStartTimeout);
    ASSERT_TRUE(serving.ok()) << serving;
  }

  std::unique_ptr<FlowInstaller> MakeInstaller(absl::Duration ack_timeout) {
    InstallConfig install;
    install.ack_timeout = ack_timeout;
    DataplaneTarget target;
    target.target = "unix:" + socket_;
    auto installer = std::make_unique<FlowInstaller>(std::vector<DataplaneTarget>{target}, install);
    EXPECT_TRUE(installer->Start().ok());
    EXPECT_TRUE(WaitSynced(*installer));
    return installer;
  }

  static bool WaitSynced(const FlowInstaller& installer) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (!installer.AllSynced()) {
      if (absl::Now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // Returns the dataplane's flows, read with ListFlows.
  std::vector<ztgate::v1::FlowEntry> ListFlows() {
    auto stub = ztgate::v1::FlowTable::NewStub(
        grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    auto reader = stub->ListFlows(&context, ztgate::v1::ListFlowsRequest());
    std::vector<ztgate::v1::FlowEntry> flows;
    ztgate::v1::ListFlowsResponse page;
    while (reader->Read(&page)) flows.insert(flows.end(), page.flows().begin(), page.flows().end());
    EXPECT_TRUE(reader->Finish().ok());
    return flows;
  }

  ztgate::v1::GetStatsResponse Stats() {
    auto stub = ztgate::v1::FlowTable::NewStub(
        grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    ztgate::v1::GetStatsResponse stats;
    EXPECT_TRUE(stub->GetStats(&context, {}, &stats).ok());
    return stats;
  }

  TempDir dir_{"ztgate-installer-test"};
  std::string socket_;
  DaemonProcess dataplane_;
};

TEST_F(FlowInstallerTest, AcknowledgedFlowsAreListed) {
  auto installer = MakeInstaller(absl::Seconds(5));
  absl::StatusOr<absl::Duration> lifetime =
      InstallAndWait(*installer, Flows(1, 3, absl::Seconds(60)));
  ASSERT_TRUE(lifetime.ok()) << lifetime.status();
  EXPECT_EQ(*lifetime, absl::Seconds(60));

  std::vector<ztgate::v1::FlowEntry> flows = ListFlows();
  ASSERT_EQ(flows.size(), 3u);
  for (const ztgate::v1::FlowEntry& flow : flows) {
    EXPECT_EQ(flow.client(), Client().ToBytes());
    EXPECT_EQ(flow.name(), "www.corp.lab");
  }
}

TEST_F(FlowInstallerTest, AuditStateReachesTheDataplane) {
  DataplaneTarget target;
  target.target = "unix:" + socket_;
  FlowInstaller installer({target}, InstallConfig{});
  // Before Start: recorded, and applied when the link connects.
  ASSERT_TRUE(
      installer.SetAudit({ztgate::v1::MODE_ENFORCE, {*IpPrefix::Parse("198.18.0.0/24")}}).ok());
  ASSERT_TRUE(installer.Start().ok());
  ASSERT_TRUE(WaitSynced(installer));
  ztgate::v1::GetStatsResponse stats = Stats();
  EXPECT_EQ(stats.mode(), ztgate::v1::MODE_ENFORCE);
  EXPECT_EQ(stats.audit_client_prefixes(), 1u);

  // After Start: applied at once.
  ASSERT_TRUE(installer.SetAudit({ztgate::v1::MODE_AUDIT, {}}).ok());
  stats = Stats();
  EXPECT_EQ(stats.mode(), ztgate::v1::MODE_AUDIT);
  EXPECT_EQ(stats.audit_client_prefixes(), 0u);
}

TEST_F(FlowInstallerTest, AnswerWaitsForHeldAcknowledgement) {
  auto installer = MakeInstaller(absl::Seconds(10));
  dataplane_.Pause();
  InstallResult result;
  installer->Install(Client(), Flows(1, 2, absl::Seconds(60)), result.Callback());
  EXPECT_FALSE(result.ReadyWithin(absl::Milliseconds(500)))
      << "the answer must wait while the dataplane cannot acknowledge";
  dataplane_.Resume();
  ASSERT_TRUE(result.ReadyWithin(absl::Seconds(5)));
  EXPECT_TRUE(result.Get().ok());
}

TEST_F(FlowInstallerTest, FailsClosedPastDeadline) {
  auto installer = MakeInstaller(absl::Milliseconds(100));
  dataplane_.Pause();
  const absl::Time start = absl::Now();
  absl::StatusOr<absl::Duration> lifetime =
      InstallAndWait(*installer, Flows(1, 1, absl::Seconds(60)));
  const absl::Duration waited = absl::Now() - start;
  dataplane_.Resume();
  ASSERT_FALSE(lifetime.ok());
  EXPECT_EQ(lifetime.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(waited, absl::Milliseconds(100));
  EXPECT_LT(waited, absl::Seconds(2));
  EXPECT_EQ(installer->deadline_failures(), 1u);
}

TEST_F(FlowInstallerTest, FailsClosedWhenDataplaneStopped) {
  auto installer = MakeInstaller(absl::Milliseconds(300));
  dataplane_.Stop();
  absl::StatusOr<absl::Duration> lifetime =
      InstallAndWait(*installer, Flows(1, 1, absl::Seconds(60)));
  EXPECT_FALSE(lifetime.ok());
}

TEST_F(FlowInstallerTest, MirrorSkipsInstalledPair) {
  auto installer = MakeInstaller(absl::Seconds(5));
  ASSERT_TRUE(InstallAndWait(*installer, Flows(1, 1, absl::Seconds(60))).ok());
  const uint64_t batches = installer->Status()[0].batches_sent();

  absl::StatusOr<absl::Duration> lifetime =
      InstallAndWait(*installer, Flows(1, 1, absl::Seconds(60)));
  ASSERT_TRUE(lifetime.ok());
  EXPECT_EQ(installer->Status()[0].batches_sent(), batches) << "no RPC for an installed pair";
  EXPECT_LE(*lifetime, absl::Seconds(60)) << "TTLs are capped at what remains";
  EXPECT_GT(*lifetime, absl::Seconds(50));

  // Asking for more than twice what remains refreshes the entry.
  ASSERT_TRUE(InstallAndWait(*installer, Flows(1, 1, absl::Seconds(600))).ok());
  EXPECT_EQ(installer->Status()[0].batches_sent(), batches + 1);
}

TEST_F(FlowInstallerTest, ResyncsTenThousandFlowsAfterDataplaneRestart) {
  auto installer = MakeInstaller(absl::Seconds(10));
  for (uint32_t first = 0; first < 10000; first += 1000) {
    ASSERT_TRUE(InstallAndWait(*installer, Flows(first, 1000, absl::Seconds(300))).ok());
  }
  ASSERT_EQ(ListFlows().size(), 10000u);

  dataplane_.Stop();
  StartDataplane();
  ASSERT_TRUE(WaitSynced(*installer));
  EXPECT_EQ(ListFlows().size(), 10000u) << "every live flow is replayed before new answers";
}

TEST_F(FlowInstallerTest, ControlPlaneRestartRebuildsMirror) {
  auto first = MakeInstaller(absl::Seconds(5));
  ASSERT_TRUE(InstallAndWait(*first, Flows(1, 5, absl::Seconds(120))).ok());
  first->Stop();
  first.reset();

  auto second = MakeInstaller(absl::Seconds(5));
  EXPECT_EQ(second->Status()[0].flows_mirrored(), 5u);
  const uint64_t batches = second->Status()[0].batches_sent();
  ASSERT_TRUE(InstallAndWait(*second, Flows(1, 5, absl::Seconds(120))).ok());
  EXPECT_EQ(second->Status()[0].batches_sent(), batches) << "the rebuilt mirror skips the RPC";
}

}  // namespace
}  // namespace ztgate::controlplane
