// Tests of InstallFlows batches: a round trip through the wire format with
// thousands of flows, name interning, and rejection of malformed flows.
#include "controlplane/flow_batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ztgate::controlplane {
namespace {

using ::testing::HasSubstr;

IpAddress V4(uint32_t host) {
  return IpAddress::FromV4({198, 18, static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host)});
}

TEST(FlowBatchTest, WireRoundTripOfFiveThousandFlows) {
  FlowBatchBuilder builder;
  std::vector<FlowToInstall> flows;
  const IpAddress v6_client = *IpAddress::Parse("2001:db8::10");
  for (uint32_t i = 0; i < 5000; ++i) {
    FlowToInstall flow;
    if (i % 2 == 0) {
      flow = {V4(1), V4(1000 + i), absl::Seconds(30 + i % 7), "www.corp.lab", nullptr};
    } else {
      std::array<uint8_t, 16> destination = v6_client.bytes16();
      destination[14] = static_cast<uint8_t>(i >> 8);
      destination[15] = static_cast<uint8_t>(i);
      flow = {v6_client, IpAddress::FromV6(destination), absl::Milliseconds(1500),
              i % 3 == 0 ? "cdn.vendor.lab" : "updates.vendor.lab", nullptr};
    }
    flows.push_back(flow);
    builder.Add(flow);
  }
  ASSERT_EQ(builder.size(), 5000u);

  const std::string wire = builder.Take(42).SerializeAsString();
  EXPECT_EQ(builder.size(), 0u) << "Take() starts a new batch";
  ztgate::v1::InstallFlowsRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.batch_id(), 42u);
  EXPECT_EQ(parsed.names_size(), 3) << "each name travels once per batch";

  absl::StatusOr<std::vector<FlowToInstall>> decoded = DecodeFlowBatch(parsed);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), flows.size());
  for (size_t i = 0; i < flows.size(); ++i) {
    ASSERT_EQ((*decoded)[i], flows[i]) << "flow " << i;
  }
  // IPv4 addresses travel as 4 bytes, IPv6 as 16.
  EXPECT_EQ(parsed.flows(0).client().size(), 4u);
  EXPECT_EQ(parsed.flows(1).client().size(), 16u);
}

TEST(FlowBatchTest, RejectsMixedFamilies) {
  ztgate::v1::InstallFlowsRequest request;
  ztgate::v1::Flow* flow = request.add_flows();
  flow->set_client(V4(1).ToBytes());
  flow->set_destination(IpAddress::Parse("2001:db8::1")->ToBytes());
  flow->mutable_lifetime()->set_seconds(30);
  absl::StatusOr<std::vector<FlowToInstall>> decoded = DecodeFlowBatch(request);
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("flow 0: client and destination"));
}

TEST(FlowBatchTest, RejectsBadLengthLifetimeAndNameIndex) {
  ztgate::v1::InstallFlowsRequest bad_length;
  ztgate::v1::Flow* flow = bad_length.add_flows();
  flow->set_client("\x01\x02\x03\x04\x05");
  flow->set_destination(V4(2).ToBytes());
  flow->mutable_lifetime()->set_seconds(30);
  EXPECT_THAT(DecodeFlowBatch(bad_length).status().message(), HasSubstr("invalid address length 5"));

  ztgate::v1::InstallFlowsRequest zero_lifetime;
  flow = zero_lifetime.add_flows();
  flow->set_client(V4(1).ToBytes());
  flow->set_destination(V4(2).ToBytes());
  EXPECT_THAT(DecodeFlowBatch(zero_lifetime).status().message(),
              HasSubstr("lifetime must be positive"));

  ztgate::v1::InstallFlowsRequest bad_index;
  bad_index.add_names("www.corp.lab");
  flow = bad_index.add_flows();
  flow->set_client(V4(1).ToBytes());
  flow->set_destination(V4(2).ToBytes());
  flow->mutable_lifetime()->set_seconds(30);
  flow->set_name_index(1);
  EXPECT_THAT(DecodeFlowBatch(bad_index).status().message(), HasSubstr("name_index 1"));
}

}  // namespace
}  // namespace ztgate::controlplane
