// Tests of the policy and cache keys of the resolver configuration:
// patterns checked at load with their own line, IDN patterns, the CNAME
// rule and the cache bounds, and a policy built from the loaded file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "resolver/policy/policy.h"
#include "resolver/resolver_config.h"

namespace ztgate::resolver {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kConfig[] = R"(listen:
  dot: ["127.0.0.1:8853"]
tls: {certificate: server.crt, key: server.key}
upstreams:
  - address: 127.0.0.1:9853
    tls_name: resolver.lab
cache:
  max_entries: 5000
  max_bytes: 1048576
  max_ttl: 1h
  max_negative_ttl: 5m
policy:
  cname_rule: every_name
  groups:
    - name: lab
      clients: [198.18.0.0/24]
      allow:
        - "*.corp.lab"
        - Bücher.lab
        - corp.lab
      deny: [secret.corp.lab]
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

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(PolicyConfigTest, ReadsPatternsWithLines) {
  absl::StatusOr<ResolverConfig> config = Parse(kConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  const GroupConfig& lab = config->policy.groups.at(0);
  EXPECT_THAT(lab.allow, ElementsAre("*.corp.lab", "Bücher.lab", "corp.lab"));
  EXPECT_THAT(lab.allow_lines, ElementsAre(18, 19, 20));
  EXPECT_THAT(lab.deny_lines, ElementsAre(21));
  EXPECT_EQ(config->policy.cname_rule, CnameRule::kEveryName);
}

TEST(PolicyConfigTest, ReadsCacheBounds) {
  absl::StatusOr<ResolverConfig> config = Parse(kConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cache_max_entries, 5000u);
  EXPECT_EQ(config->cache_max_bytes, 1048576u);
  EXPECT_EQ(config->cache_max_ttl, absl::Hours(1));
  EXPECT_EQ(config->cache_max_negative_ttl, absl::Minutes(5));
}

TEST(PolicyConfigTest, InvalidPatternNamesItsOwnLine) {
  const struct {
    std::string_view from;
    std::string_view to;
    std::string_view expected;
  } cases[] = {
      {"- Bücher.lab", "- bad..lab", "control.yaml:19: policy.groups[0].allow[1]: invalid"},
      {"- corp.lab", "- \"www.*.lab\"", "control.yaml:20: policy.groups[0].allow[2]"},
      {"deny: [secret.corp.lab]", "deny: [ok.lab, \"xn--a-.lab\"]",
       "control.yaml:21: policy.groups[0].deny[1]"},
      {"cname_rule: every_name", "cname_rule: final", "control.yaml:13: policy.cname_rule"},
      {"max_ttl: 1h", "max_ttl: 0s", "control.yaml:10: cache.max_ttl"},
      {"max_bytes: 1048576", "max_bytes: 12", "control.yaml:9: cache.max_bytes"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.to);
    absl::StatusOr<ResolverConfig> config = Parse(Replace(kConfig, c.from, c.to));
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.expected));
  }
}

TEST(PolicyConfigTest, LoadedConfigBuildsPolicy) {
  absl::StatusOr<ResolverConfig> config = Parse(kConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::shared_ptr<const policy::Policy>> policy =
      policy::Policy::Create(config->policy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const policy::Group* lab = (*policy)->SelectGroup(*IpAddress::Parse("198.18.0.1"), {});
  ASSERT_NE(lab, nullptr);
  const auto verdict = [&](std::string_view name) {
    return (*policy)->DecideName(lab, *dns::Name::FromText(name)).verdict;
  };
  EXPECT_EQ(verdict("xn--bcher-kva.lab"), policy::Verdict::kAllow);
  EXPECT_EQ(verdict("WWW.corp.lab"), policy::Verdict::kAllow);
  EXPECT_EQ(verdict("secret.corp.lab"), policy::Verdict::kDeny);
}

}  // namespace
}  // namespace ztgate::resolver
