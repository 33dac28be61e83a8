// Tests of the per-dataplane flow mirror, the install waiter and the
// latency histogram: the bookkeeping behind install before release.
#include "controlplane/flow_mirror.h"

#include <gtest/gtest.h>

#include "controlplane/install_waiter.h"
#include "controlplane/latency_histogram.h"

namespace ztgate::controlplane {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

FlowToInstall Flow(const char* destination, absl::Duration lifetime) {
  return {*IpAddress::Parse("198.18.0.10"), *IpAddress::Parse(destination), lifetime,
          "www.corp.lab", nullptr};
}

FlowMirror::Key KeyOf(const FlowToInstall& flow) { return {flow.client, flow.destination}; }

TEST(FlowMirrorTest, RemainingCountsDown) {
  FlowMirror mirror;
  const FlowToInstall flow = Flow("198.19.0.80", absl::Seconds(60));
  mirror.Record(flow, kStart);
  EXPECT_EQ(mirror.Remaining(KeyOf(flow), kStart + absl::Seconds(20)), absl::Seconds(40));
  EXPECT_EQ(mirror.Remaining(KeyOf(flow), kStart + absl::Seconds(59)), absl::Seconds(1));
  EXPECT_FALSE(mirror.Remaining(KeyOf(flow), kStart + absl::Seconds(60)).has_value());
}

TEST(FlowMirrorTest, KeepsLaterDeadline) {
  FlowMirror mirror;
  mirror.Record(Flow("198.19.0.80", absl::Seconds(60)), kStart);
  mirror.Record(Flow("198.19.0.80", absl::Seconds(10)), kStart + absl::Seconds(5));
  EXPECT_EQ(mirror.Remaining(KeyOf(Flow("198.19.0.80", {})), kStart), absl::Seconds(60));
  mirror.Record(Flow("198.19.0.80", absl::Seconds(90)), kStart + absl::Seconds(5));
  EXPECT_EQ(mirror.Remaining(KeyOf(Flow("198.19.0.80", {})), kStart), absl::Seconds(95));
}

TEST(FlowMirrorTest, SweepAndLiveFlows) {
  FlowMirror mirror;
  mirror.Record(Flow("198.19.0.1", absl::Seconds(10)), kStart);
  mirror.Record(Flow("2001:db8::1", absl::Seconds(10)), kStart);  // Family mix is the caller's.
  mirror.Record(Flow("198.19.0.2", absl::Seconds(100)), kStart);
  EXPECT_EQ(mirror.Sweep(kStart + absl::Seconds(10)), 2u);
  ASSERT_EQ(mirror.size(), 1u);
  std::vector<FlowToInstall> live = mirror.LiveFlows(kStart + absl::Seconds(40));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].destination.ToString(), "198.19.0.2");
  EXPECT_EQ(live[0].lifetime, absl::Seconds(60));
  EXPECT_EQ(live[0].name, "www.corp.lab");
}

TEST(FlowMirrorTest, KeepsIdentitiesOfTheLatestInstall) {
  FlowMirror mirror;
  FlowToInstall flow = Flow("198.19.0.80", absl::Seconds(60));
  flow.identities = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"laptop-17.corp.lab"});
  mirror.Record(flow, kStart);
  // An entry read back from the dataplane has no identities, so the
  // recorded ones stay.
  mirror.RecordExpiry(KeyOf(flow), kStart + absl::Seconds(120), "www.corp.lab");
  std::vector<FlowToInstall> live = mirror.LiveFlows(kStart);
  ASSERT_EQ(live.size(), 1u);
  ASSERT_NE(live[0].identities, nullptr);
  EXPECT_EQ(*live[0].identities, std::vector<std::string>{"laptop-17.corp.lab"});
  EXPECT_EQ(live[0].lifetime, absl::Seconds(120));

  // A pair only read back from the dataplane has unknown identities.
  mirror.RecordExpiry(KeyOf(Flow("198.19.0.81", {})), kStart + absl::Seconds(30), "www.corp.lab");
  for (const FlowToInstall& adopted : mirror.LiveFlows(kStart)) {
    if (adopted.destination.ToString() == "198.19.0.81") {
      EXPECT_EQ(adopted.identities, nullptr);
    }
  }
}

TEST(InstallWaiterTest, CompletesAfterEveryDataplane) {
  int calls = 0;
  absl::StatusOr<absl::Duration> result;
  InstallWaiter waiter(
      [&](absl::StatusOr<absl::Duration> lifetime) {
        ++calls;
        result = lifetime;
      },
      kStart, absl::Seconds(60));
  waiter.ExpectGuard();
  waiter.Expect(0);
  waiter.Expect(3);
  EXPECT_EQ(waiter.pending_links(), 0b1001u);
  waiter.Acknowledge(0);
  waiter.CapLifetime(absl::Seconds(45));
  waiter.ReleaseGuard();
  EXPECT_EQ(calls, 0) << "dataplane 3 has not acknowledged";
  EXPECT_EQ(waiter.pending_links(), 0b1000u);
  waiter.Acknowledge(3);
  ASSERT_EQ(calls, 1);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, absl::Seconds(45));
}

TEST(InstallWaiterTest, FirstOutcomeWins) {
  int calls = 0;
  absl::Status status;
  InstallWaiter waiter(
      [&](absl::StatusOr<absl::Duration> lifetime) {
        ++calls;
        status = lifetime.status();
      },
      kStart, absl::Seconds(60));
  waiter.ExpectGuard();
  waiter.Expect(0);
  waiter.ReleaseGuard();
  waiter.Fail(absl::DeadlineExceededError("late"));
  waiter.Acknowledge(0);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(waiter.done());
}

TEST(InstallWaiterTest, GuardAloneCompletesAtOnce) {
  int calls = 0;
  InstallWaiter waiter([&](absl::StatusOr<absl::Duration>) { ++calls; }, kStart, absl::Seconds(1));
  waiter.ExpectGuard();
  waiter.ReleaseGuard();
  EXPECT_EQ(calls, 1);
}

TEST(LatencyHistogramTest, QuantilesWithinOneBucket) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.Quantile(0.5), absl::ZeroDuration());
  for (int i = 0; i < 98; ++i) histogram.Record(absl::Microseconds(100));
  histogram.Record(absl::Milliseconds(10));
  histogram.Record(absl::Milliseconds(10));
  const absl::Duration p50 = histogram.Quantile(0.50);
  EXPECT_GE(p50, absl::Microseconds(100));
  EXPECT_LT(p50, absl::Microseconds(120));
  const absl::Duration p99 = histogram.Quantile(0.99);
  EXPECT_GE(p99, absl::Milliseconds(10));
  EXPECT_LT(p99, absl::Milliseconds(12));
}

}  // namespace
}  // namespace ztgate::controlplane
