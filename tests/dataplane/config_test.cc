// Tests of ztgate-dataplane's configuration file: defaults, every section,
// and errors that name the key and line.
#include "dataplane/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ztgate::dataplane {
namespace {

using ::testing::HasSubstr;

TEST(DataplaneConfigTest, EmptyFileGivesDefaults) {
  absl::StatusOr<DataplaneConfig> config = ParseDataplaneConfig("", "empty.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->table_size, 1u << 20);
  EXPECT_EQ(config->idle_timeout, absl::Minutes(5));
  EXPECT_EQ(config->mode, EnforcementMode::kEnforce);
  EXPECT_TRUE(config->pass_arp);
  EXPECT_EQ(config->api.unix_socket, "/run/ztgate/dataplane.sock");
  EXPECT_EQ(config->api.unix_socket_mode, 0660);
}

TEST(DataplaneConfigTest, ReadsEverySection) {
  absl::StatusOr<DataplaneConfig> config = ParseDataplaneConfig(R"(
table:
  size: 4194304
  idle_timeout: 120s
  sweep_interval: 250ms
mode: audit
exceptions: [192.0.2.53/32, "2001:db8:53::/48"]
pass:
  arp: true
  ndp: false
  dhcp: true
  ethertypes: [0x88cc, "35020"]
api:
  unix_socket: /tmp/ztgate-test/dp.sock
  unix_socket_mode: "0600"
log_level: debug
)",
                                                                "full.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->table_size, 4194304u);
  EXPECT_EQ(config->idle_timeout, absl::Seconds(120));
  EXPECT_EQ(config->sweep_interval, absl::Milliseconds(250));
  EXPECT_EQ(config->mode, EnforcementMode::kAudit);
  ASSERT_EQ(config->exceptions.size(), 2u);
  EXPECT_EQ(config->exceptions[1].ToString(), "2001:db8:53::/48");
  EXPECT_FALSE(config->pass_ndp);
  EXPECT_THAT(config->pass_ethertypes, ::testing::ElementsAre(0x88cc, 35020));
  EXPECT_EQ(config->api.unix_socket, "/tmp/ztgate-test/dp.sock");
  EXPECT_EQ(config->api.unix_socket_mode, 0600);
  EXPECT_EQ(config->log_level, "debug");
}

TEST(DataplaneConfigTest, IcmpErrorsPassUnlessTurnedOff) {
  absl::StatusOr<DataplaneConfig> defaults = ParseDataplaneConfig("", "empty.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_TRUE(defaults->pass_icmp_errors);
  absl::StatusOr<DataplaneConfig> off =
      ParseDataplaneConfig("pass:\n  icmp_errors: false\n", "off.yaml");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->pass_icmp_errors);
  absl::StatusOr<DataplaneConfig> bad =
      ParseDataplaneConfig("pass:\n  icmp_errors: maybe\n", "bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("bad.yaml:2: pass.icmp_errors"));
}

struct BadConfigCase {
  const char* text;
  const char* expected_error;
};

class DataplaneConfigErrorTest : public ::testing::TestWithParam<BadConfigCase> {};

TEST_P(DataplaneConfigErrorTest, NamesKeyAndLine) {
  absl::StatusOr<DataplaneConfig> config = ParseDataplaneConfig(GetParam().text, "bad.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr(GetParam().expected_error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DataplaneConfigErrorTest,
    ::testing::Values(
        BadConfigCase{"table:\n  sise: 10\n", "bad.yaml:2: table.sise: unknown key"},
        BadConfigCase{"table:\n  size: 1023\n", "bad.yaml:2: table.size: value 1023 is out of range"},
        BadConfigCase{"mode: strict\n", "bad.yaml:1: mode: invalid mode \"strict\""},
        BadConfigCase{"exceptions: [192.0.2.1/24]\n", "bad.yaml:1: exceptions: invalid prefix"},
        BadConfigCase{"table:\n  idle_timeout: 300\n", "table.idle_timeout: invalid duration"},
        BadConfigCase{"pass:\n  ethertypes: [0x05ff]\n", "pass.ethertypes: invalid ethertype"},
        BadConfigCase{"api:\n  tcp_address: 127.0.0.1:50051\n",
                      "api.tcp_address: a TCP listener needs tls_certificate"},
        BadConfigCase{"table: 5\n", "bad.yaml:1: table: expected a map"}));

}  // namespace
}  // namespace ztgate::dataplane
