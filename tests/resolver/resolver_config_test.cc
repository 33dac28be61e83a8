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

constexpr char kTransportConfig[] = R"(
listen:
  dot: ["127.0.0.1:8853"]
  idle_timeout: 10s
  max_connections: 100
  max_connections_per_client: 5
  max_queries_per_connection: 32
tls: {certificate: a, key: b}
upstreams:
  - address: 127.0.0.1:9853
    tls_name: resolver.lab
    connections: 4
upstream_pool:
  attempts: 2
  max_failures: 5
  down_time: 1s
  max_backoff: 2s
)";

TEST(ResolverConfigTest, ReadsTransportKeys) {
  absl::StatusOr<ResolverConfig> config = Parse(kTransportConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listener_limits.idle_timeout, absl::Seconds(10));
  EXPECT_EQ(config->listener_limits.max_connections, 100u);
  EXPECT_EQ(config->listener_limits.max_connections_per_client, 5u);
  EXPECT_EQ(config->listener_limits.max_queries_per_connection, 32u);
  EXPECT_EQ(config->upstreams[0].connections, 4u);
  EXPECT_EQ(config->upstream_pool.attempts, 2u);
  EXPECT_EQ(config->upstream_pool.max_failures, 5u);
  EXPECT_EQ(config->upstream_pool.down_time, absl::Seconds(1));
  EXPECT_EQ(config->upstream_pool.max_backoff, absl::Seconds(2));
}

TEST(ResolverConfigTest, TransportDefaults) {
  absl::StatusOr<ResolverConfig> config = Parse(kValidConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listener_limits.idle_timeout, absl::Seconds(30));
  EXPECT_EQ(config->listener_limits.max_connections, 10000u);
  EXPECT_EQ(config->listener_limits.max_connections_per_client, 64u);
  EXPECT_EQ(config->listener_limits.max_queries_per_connection, 128u);
  EXPECT_EQ(config->upstreams[0].connections, 2u);
  EXPECT_EQ(config->upstream_pool.attempts, 3u);
}

TEST(ResolverConfigTest, InvalidTransportValuesNameKeyAndLine) {
  struct Case {
    std::string from;
    std::string to;
    std::string expected;
  };
  const Case cases[] = {
      {"max_queries_per_connection: 32", "max_queries_per_connection: 0",
       "control.yaml:7: listen.max_queries_per_connection"},
      {"idle_timeout: 10s", "idle_timeout: 0s", "control.yaml:4: listen.idle_timeout: must be"},
      {"idle_timeout: 10s", "idle_timeout: 10", "control.yaml:4: listen.idle_timeout"},
      {"connections: 4", "connections: 65", "control.yaml:12: upstreams[0].connections"},
      {"attempts: 2", "attempts: 0", "control.yaml:14: upstream_pool.attempts"},
      {"down_time: 1s", "down_tme: 1s", "control.yaml:16: upstream_pool.down_tme: unknown key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    std::string text = kTransportConfig;
    text.replace(text.find(c.from), c.from.size(), c.to);
    absl::StatusOr<ResolverConfig> config = Parse(text);
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.expected));
  }
}

constexpr char kDohConfig[] = R"(
listen:
  doh: ["192.0.2.53", "[2001:db8::53]", "192.0.2.53:8443"]
  doh_path: /resolve
  max_header_bytes: 4096
tls:
  certificate: /etc/ztgate/tls/server.crt
  key: /etc/ztgate/tls/server.key
upstreams:
  - address: 127.0.0.1:9853
    tls_name: resolver.lab
)";

TEST(ResolverConfigTest, ReadsDohListenersWithDefaultPort) {
  absl::StatusOr<ResolverConfig> config = Parse(kDohConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->dot_listeners.empty()) << "DoH alone is a valid set-up";
  ASSERT_EQ(config->doh_listeners.size(), 3u);
  EXPECT_EQ(config->doh_listeners[0].ToString(), "192.0.2.53:443");
  EXPECT_EQ(config->doh_listeners[1].ToString(), "[2001:db8::53]:443");
  EXPECT_EQ(config->doh_listeners[2].ToString(), "192.0.2.53:8443");
  EXPECT_EQ(config->doh.path, "/resolve");
  EXPECT_EQ(config->doh.max_header_bytes, 4096u);
}

TEST(ResolverConfigTest, DohDefaults) {
  absl::StatusOr<ResolverConfig> config = Parse(kValidConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->doh_listeners.empty());
  EXPECT_EQ(config->doh.path, "/dns-query");
  EXPECT_EQ(config->doh.max_header_bytes, 8192u);
}

TEST(ResolverConfigTest, InvalidDohValuesNameKeyAndLine) {
  struct Case {
    std::string from;
    std::string to;
    std::string expected;
  };
  const Case cases[] = {
      {"doh_path: /resolve", "doh_path: resolve", "control.yaml:4: listen.doh_path: must be"},
      {"doh_path: /resolve", "doh_path: /resolve?x=1", "control.yaml:4: listen.doh_path"},
      {"max_header_bytes: 4096", "max_header_bytes: 100", "control.yaml:5: listen.max_header_bytes"},
      {"\"192.0.2.53:8443\"", "\"192.0.2.53:0\"", "control.yaml:3: listen.doh"},
      {"  doh: [\"192.0.2.53\", \"[2001:db8::53]\", \"192.0.2.53:8443\"]\n", "",
       "listen needs at least one dot or doh address"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    std::string text = kDohConfig;
    text.replace(text.find(c.from), c.from.size(), c.to);
    absl::StatusOr<ResolverConfig> config = Parse(text);
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.expected));
  }
}

TEST(EndpointTest, ParsesBothFamilies) {
  absl::StatusOr<Endpoint> v4 = ParseEndpoint("192.0.2.53:853");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->port, 853);
  absl::StatusOr<Endpoint> v6 = ParseEndpoint("[2001:db8::53]:8853");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->ToString(), "[2001:db8::53]:8853");
}

TEST(EndpointTest, DefaultPortForAddressAlone) {
  EXPECT_EQ(ParseEndpoint("192.0.2.53", 443)->ToString(), "192.0.2.53:443");
  EXPECT_EQ(ParseEndpoint("2001:db8::53", 443)->ToString(), "[2001:db8::53]:443");
  EXPECT_EQ(ParseEndpoint("[2001:db8::53]", 853)->ToString(), "[2001:db8::53]:853");
  EXPECT_EQ(ParseEndpoint("[2001:db8::53]:8853", 853)->ToString(), "[2001:db8::53]:8853");
  EXPECT_FALSE(ParseEndpoint("resolver.lab", 443).ok());
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
