// Tests of the resolver's configuration sections: a full policy, endpoint
// parsing, and errors naming key and line.
#include "resolver/resolver_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ztgate::resolver {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kValidConfig[] = R"(
listen:
  dot: ["127.0.0.1:8853", "[::1]:8853"]
tls:
  certificate: /etc/ztgate/tls/server.crt
  key: /etc/ztgate/tls/server.key
  client_ca: /etc/ztgate/tls/client-ca.crt
upstreams:
  - address: 127.0.0.1:9853
    tls_name: resolver.lab
    ca_file: /etc/ztgate/tls/lab-ca.crt
    timeout: 500ms
cache:
  max_entries: 5000
policy:
  mode: enforce
  denied_rcode: nxdomain
  groups:
    - name: client-a
      clients: [198.18.0.10/32, "2001:db8::10/128"]
      identities: ["spiffe://lab/client-a"]
      allow: ["*.corp.lab", updates.vendor.lab]
      deny: [secret.corp.lab]
    - name: client-b
      clients: [198.18.0.20/32]
      allow: [updates.vendor.lab]
      mode: audit
)";

absl::StatusOr<ResolverConfig> Parse(std::string_view text) {
  absl::StatusOr<YAML::Node> document = ParseYaml(text, "control.yaml");
  if (!document.ok()) return document.status();
  absl::StatusOr<YamlMap> root = YamlMap::From(*document, "control.yaml", "");
  if (!root.ok()) return root.status();
  ResolverConfig config;
  if (absl::Status status = ReadResolverConfig(*root, config); !status.ok()) return status;
  if (absl::Status status = root->Finish(); !status.ok()) return status;
  return config;
}

TEST(ResolverConfigTest, ReadsFullPolicy) {
  absl::StatusOr<ResolverConfig> config = Parse(kValidConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->dot_listeners.size(), 2u);
  EXPECT_EQ(config->dot_listeners[1].ToString(), "[::1]:8853");
  EXPECT_EQ(config->tls.client_ca_file, "/etc/ztgate/tls/client-ca.crt");
  ASSERT_EQ(config->upstreams.size(), 1u);
  EXPECT_EQ(config->upstreams[0].tls_name, "resolver.lab");
  EXPECT_EQ(config->upstreams[0].timeout, absl::Milliseconds(500));
  EXPECT_EQ(config->cache_max_entries, 5000u);
  EXPECT_EQ(config->policy.denied_rcode, DeniedRcode::kNxdomain);
  ASSERT_EQ(config->policy.groups.size(), 2u);
  const GroupConfig& a = config->policy.groups[0];
  EXPECT_EQ(a.name, "client-a");
  EXPECT_EQ(a.clients[1].ToString(), "2001:db8::10/128");
  EXPECT_THAT(a.allow, ElementsAre("*.corp.lab", "updates.vendor.lab"));
  EXPECT_THAT(a.deny, ElementsAre("secret.corp.lab"));
  EXPECT_FALSE(a.mode.has_value());
  EXPECT_EQ(config->policy.groups[1].mode, PolicyMode::kAudit);
}

TEST(ResolverConfigTest, NoUpstreamIsAnError) {
  absl::StatusOr<ResolverConfig> config = Parse(
      "listen: {dot: ['127.0.0.1:853']}\ntls: {certificate: a, key: b}\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("no built-in resolver"));
}

TEST(ResolverConfigTest, UnauthenticatedUpstreamIsAnError) {
  absl::StatusOr<ResolverConfig> config = Parse(
      "listen: {dot: ['127.0.0.1:853']}\ntls: {certificate: a, key: b}\n"
      "upstreams:\n  - address: 127.0.0.1:853\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("control.yaml:4: upstreams[0]"));
  EXPECT_THAT(config.status().message(), HasSubstr("tls_name or spki_pins"));
}

TEST(ResolverConfigTest, UnknownGroupKeyNamesLine) {
  std::string text = kValidConfig;
  text += "    - name: client-c\n      allowed: [x.lab]\n";
  absl::StatusOr<ResolverConfig> config = Parse(text);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              HasSubstr("control.yaml:29: policy.groups[2].allowed: unknown key"));
}

TEST(ResolverConfigTest, DuplicateGroupName) {
  std::string text = kValidConfig;
  text += "    - name: client-a\n";
  absl::StatusOr<ResolverConfig> config = Parse(text);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("duplicate group name \"client-a\""));
}

TEST(EndpointTest, ParsesBothFamilies) {
  absl::StatusOr<Endpoint> v4 = ParseEndpoint("192.0.2.53:853");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->port, 853);
  absl::StatusOr<Endpoint> v6 = ParseEndpoint("[2001:db8::53]:8853");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->ToString(), "[2001:db8::53]:8853");
}

TEST(EndpointTest, RejectsInvalid) {
  for (const char* text : {"192.0.2.53", "192.0.2.53:0", "192.0.2.53:65536", "[2001:db8::53]",
                           "2001:db8::53:853x", "resolver.lab:853"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(ParseEndpoint(text).ok());
  }
}

}  // namespace
}  // namespace ztgate::resolver
