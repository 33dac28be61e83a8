// Serves the Policy API on a real Unix socket and calls it through gRPC:
// health, reading and changing the policy (version checks, hot swap seen
// by the live policy), audit mode, errors, and the socket's mode.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include "controlplane/control_config.h"
#include "controlplane/policy_convert.h"
#include "controlplane/policy_service.h"
#include "resolver/dns/name.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace ztgate::controlplane {
namespace {

using ::testing::HasSubstr;

std::string ConfigText(const std::string& socket) {
  return R"(
listen: {dot: ["127.0.0.1:8853"]}
tls: {certificate: server.crt, key: server.key}
upstreams:
  - {address: "127.0.0.1:9853", tls_name: resolver.lab}
policy:
  groups:
    - name: client-a
      clients: [198.18.0.10/32]
      allow: ["*.corp.lab"]
dataplanes:
  - target: unix:/run/ztgate/dataplane.sock
install:
  ack_timeout: 100ms
api:
  unix_socket: )" + socket + "\n";
}

class PolicyApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("ztgate-policy-api-" + std::to_string(getpid()));
    socket_ = (directory_ / "control.sock").string();
    absl::StatusOr<ControlConfig> config = ParseControlConfig(ConfigText(socket_), "test.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;

    absl::StatusOr<std::shared_ptr<const resolver::policy::Policy>> policy =
        resolver::policy::Policy::Create(config_.resolver.policy);
    ASSERT_TRUE(policy.ok()) << policy.status();
    holder_ = std::make_unique<resolver::policy::PolicyHolder>(*policy);
    store_ = std::make_unique<PolicyStore>(config_.resolver.policy, holder_.get());
    audit_ = std::make_unique<AuditCollector>(holder_.get());
    PolicyService::Parts parts;
    parts.store = store_.get();
    parts.policy = holder_.get();
    parts.decisions = &decisions_;
    parts.audit = audit_.get();
    service_ = std::make_unique<PolicyService>(std::move(parts));
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    ASSERT_TRUE(AddGrpcListeners(config_.api, builder).ok());
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(RestrictUnixSocket(config_.api).ok());
    channel_ = grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    std::filesystem::remove_all(directory_);
  }

  std::filesystem::path directory_;
  std::string socket_;
  ControlConfig config_;
  std::unique_ptr<resolver::policy::PolicyHolder> holder_;
  std::unique_ptr<PolicyStore> store_;
  DecisionHub decisions_;
  std::unique_ptr<AuditCollector> audit_;
  std::unique_ptr<PolicyService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(PolicyApiTest, HealthIsServing) {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, {}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(PolicyApiTest, GetPolicyReturnsConfiguredGroups) {
  auto stub = ztgate::v1::Policy::NewStub(channel_);
  grpc::ClientContext context;
  ztgate::v1::GetPolicyResponse response;
  grpc::Status status = stub->GetPolicy(&context, {}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.policy().groups_size(), 1);
  const ztgate::v1::Group& group = response.policy().groups(0);
  EXPECT_EQ(group.name(), "client-a");
  ASSERT_EQ(group.clients_size(), 1);
  EXPECT_EQ(group.clients(0).address(), std::string("\xc6\x12\x00\x0a", 4));
  EXPECT_EQ(group.clients(0).prefix_length(), 32u);
  EXPECT_EQ(group.allow(0), "*.corp.lab");
  EXPECT_EQ(response.policy().mode(), ztgate::v1::MODE_ENFORCE);
}

// True when the live policy lets 198.18.0.10 resolve `name`.
bool Allows(const resolver::policy::PolicyHolder& holder, const char* name) {
  std::shared_ptr<const resolver::policy::Policy> policy = holder.Load();
  const resolver::policy::Group* group =
      policy->SelectGroup(*IpAddress::Parse("198.18.0.10"), {});
  return !policy->DecideName(group, *resolver::dns::Name::FromText(name)).blocks();
}

TEST_F(PolicyApiTest, AddPatternsSwapsLivePolicy) {
  auto stub = ztgate::v1::Policy::NewStub(channel_);
  EXPECT_FALSE(Allows(*holder_, "updates.vendor.lab"));
  grpc::ClientContext context;
  ztgate::v1::AddPatternsRequest request;
  request.set_group("client-a");
  request.set_list(ztgate::v1::PATTERN_LIST_ALLOW);
  request.add_patterns("updates.vendor.lab");
  request.add_patterns("*.corp.lab");  // Already present: skipped.
  request.set_expected_version(1);
  ztgate::v1::AddPatternsResponse response;
  grpc::Status status = stub->AddPatterns(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.version(), 2u);
  EXPECT_EQ(response.added(), 1u);
  EXPECT_TRUE(Allows(*holder_, "updates.vendor.lab"));
}

TEST_F(PolicyApiTest, StaleVersionIsAborted) {
  auto stub = ztgate::v1::Policy::NewStub(channel_);
  grpc::ClientContext get_context;
  ztgate::v1::GetPolicyResponse current;
  ASSERT_TRUE(stub->GetPolicy(&get_context, {}, &current).ok());

  ztgate::v1::ReplacePolicyRequest request;
  *request.mutable_policy() = current.policy();
  request.mutable_policy()->mutable_groups(0)->add_deny("www.corp.lab");
  request.set_expected_version(current.policy().version() + 5);
  grpc::ClientContext stale_context;
  ztgate::v1::ReplacePolicyResponse response;
  EXPECT_EQ(stub->ReplacePolicy(&stale_context, request, &response).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_TRUE(Allows(*holder_, "www.corp.lab")) << "a rejected change leaves the policy alone";

  request.set_expected_version(current.policy().version());
  grpc::ClientContext context;
  grpc::Status status = stub->ReplacePolicy(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.version(), current.policy().version() + 1);
  EXPECT_FALSE(Allows(*holder_, "www.corp.lab"));
}

TEST_F(PolicyApiTest, InvalidPatternKeepsPolicy) {
  auto stub = ztgate::v1::Policy::NewStub(channel_);
  grpc::ClientContext context;
  ztgate::v1::AddPatternsRequest request;
  request.set_group("client-a");
  request.set_list(ztgate::v1::PATTERN_LIST_DENY);
  request.add_patterns("bad..name.lab");
  ztgate::v1::AddPatternsResponse response;
  grpc::Status status = stub->AddPatterns(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(store_->Get().second, 1u);
}

TEST_F(PolicyApiTest, UnknownGroupIsNotFound) {
  auto stub = ztgate::v1::Policy::NewStub(channel_);
  grpc::ClientContext context;
  ztgate::v1::RemovePatternsRequest request;
  request.set_group("nobody");
  request.set_list(ztgate::v1::PATTERN_LIST_ALLOW);
  request.add_patterns("*.corp.lab");
  ztgate::v1::RemovePatternsResponse response;
  EXPECT_EQ(stub->RemovePatterns(&context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PolicyApiTest, GroupAuditModeAnswersDeniedNames) {
  auto stub = ztgate::v1::Policy::NewStub(channel_);
  grpc::ClientContext context;
  ztgate::v1::SetPolicyModeRequest request;
  request.set_mode(ztgate::v1::MODE_AUDIT);
  request.set_group("client-a");
  ztgate::v1::SetPolicyModeResponse response;
  ASSERT_TRUE(stub->SetPolicyMode(&context, request, &response).ok());
  EXPECT_TRUE(Allows(*holder_, "tracker.lab")) << "audit mode answers, and records, denied names";
}

TEST_F(PolicyApiTest, SetExceptionsWithoutDataplaneFails) {
  auto stub = ztgate::v1::Policy::NewStub(channel_);
  grpc::ClientContext context;
  ztgate::v1::SetExceptionsRequest request;
  ztgate::v1::Prefix* prefix = request.add_prefixes();
  prefix->set_address(std::string("\xc0\x00\x02\x00", 4));
  prefix->set_prefix_length(24);
  ztgate::v1::SetExceptionsResponse response;
  EXPECT_EQ(stub->SetExceptions(&context, request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(ProposeAllowPatternsTest, SiblingsBecomeWildcard) {
  const std::set<std::string> names = {"a.cdn.vendor.lab", "b.cdn.vendor.lab",
                                       "c.cdn.vendor.lab", "tracker.lab"};
  EXPECT_THAT(ProposeAllowPatterns(names, 3),
              ::testing::ElementsAre("*.cdn.vendor.lab", "tracker.lab"));
}

TEST_F(PolicyApiTest, SocketIsOwnerAndGroupOnly) {
  struct stat info {};
  ASSERT_EQ(stat(socket_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0660u);
}

TEST(ControlConfigTest, TcpDataplaneNeedsMutualTls) {
  std::string text = ConfigText("/tmp/x.sock");
  text += "log_level: info\n";
  text.replace(text.find("unix:/run/ztgate/dataplane.sock"),
               std::string("unix:/run/ztgate/dataplane.sock").size(), "198.51.100.1:50051");
  absl::StatusOr<ControlConfig> config = ParseControlConfig(text, "test.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("dataplanes[0].target: a TCP target needs"));
}

TEST(ControlConfigTest, UnknownTopLevelKey) {
  std::string text = ConfigText("/tmp/x.sock") + "dataplane: []\n";
  absl::StatusOr<ControlConfig> config = ParseControlConfig(text, "test.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("dataplane: unknown key"));
}

}  // namespace
}  // namespace ztgate::controlplane
