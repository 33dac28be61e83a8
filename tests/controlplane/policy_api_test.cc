// Serves the Policy API on a real Unix socket and calls it through gRPC:
// health, GetPolicy built from a parsed config, and the socket's mode.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include "controlplane/control_config.h"
#include "controlplane/policy_service.h"
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

    service_ = std::make_unique<PolicyService>(config_, nullptr);
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

TEST_F(PolicyApiTest, UnimplementedMethodSaysSo) {
  auto stub = ztgate::v1::Policy::NewStub(channel_);
  grpc::ClientContext context;
  ztgate::v1::ReplacePolicyResponse response;
  grpc::Status status = stub->ReplacePolicy(&context, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
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
