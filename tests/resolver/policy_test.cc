// Tests of the name policy: pattern forms, IDN, letter case, deny over
// allow, group selection by address, identity and order, audit mode, the
// CNAME rules, the atomic swap, and matching among 100,000 patterns.
#include "resolver/policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "resolver/dns/constants.h"
#include "resolver/dns/query.h"
#include "resolver/policy/name_set.h"
#include "resolver/policy/pattern.h"
#include "tests/resolver/dns_samples.h"

namespace ztgate::resolver::policy {
namespace {

using ::testing::HasSubstr;

dns::Name N(std::string_view text) {
  absl::StatusOr<dns::Name> name = dns::Name::FromText(text);
  EXPECT_TRUE(name.ok()) << name.status();
  return name.ok() ? *name : dns::Name();
}

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

GroupConfig MakeGroup(std::string name, std::vector<std::string> clients,
                      std::vector<std::string> allow, std::vector<std::string> deny = {}) {
  GroupConfig group;
  group.name = std::move(name);
  for (const std::string& text : clients) group.clients.push_back(*IpPrefix::Parse(text));
  group.allow = std::move(allow);
  group.deny = std::move(deny);
  return group;
}

std::shared_ptr<const Policy> MustCreate(const PolicyConfig& config) {
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(config);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

// --- Patterns ------------------------------------------------------------

TEST(PatternTest, Forms) {
  absl::StatusOr<Pattern> exact = ParsePattern("Host.Example.COM.");
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_FALSE(exact->wildcard);
  EXPECT_EQ(exact->ToString(), "host.example.com");
  absl::StatusOr<Pattern> wildcard = ParsePattern("*.example.com");
  ASSERT_TRUE(wildcard.ok());
  EXPECT_TRUE(wildcard->wildcard);
  EXPECT_EQ(wildcard->ToString(), "*.example.com");
  absl::StatusOr<Pattern> everything = ParsePattern("*");
  ASSERT_TRUE(everything.ok());
  EXPECT_TRUE(everything->name.is_root());
  EXPECT_TRUE(ParsePattern("_dmarc.example.com").ok());
}

TEST(PatternTest, UnicodeBecomesALabels) {
  absl::StatusOr<Pattern> pattern = ParsePattern("*.Bücher.example");
  ASSERT_TRUE(pattern.ok()) << pattern.status();
  EXPECT_EQ(pattern->ToString(), "*.xn--bcher-kva.example");
  absl::StatusOr<Pattern> japanese = ParsePattern("例え.テスト");
  ASSERT_TRUE(japanese.ok()) << japanese.status();
  EXPECT_EQ(japanese->ToString(), "xn--r8jz45g.xn--zckzah");
}

TEST(PatternTest, InvalidPatternsNameTheReason) {
  const std::vector<std::string> bad = {
      "",  "*.",  "a*.example.com", "www.*.example.com", "example..com", "exa mple.com",
      "xn--zz-bogus-.example", std::string(64, 'a') + ".example", "\xff\xfe.example"};
  for (const std::string& text : bad) {
    SCOPED_TRACE(text);
    if (text == "*.") continue;  // "*." is the same as "*": every name.
    absl::StatusOr<Pattern> pattern = ParsePattern(text);
    EXPECT_FALSE(pattern.ok());
  }
  EXPECT_THAT(ParsePattern("a..b").status().message(), HasSubstr("a..b"));
}

// --- Name sets -----------------------------------------------------------

TEST(NameSetTest, WildcardVersusBareName) {
  NameSet set;
  set.Add(*ParsePattern("*.example.com"));
  EXPECT_TRUE(set.Contains(N("www.example.com")));
  EXPECT_TRUE(set.Contains(N("a.b.c.example.com")));
  EXPECT_FALSE(set.Contains(N("example.com")));
  EXPECT_FALSE(set.Contains(N("badexample.com")));
  EXPECT_FALSE(set.Contains(N("example.com.evil.net")));
  set.Add(*ParsePattern("example.com"));
  EXPECT_TRUE(set.Contains(N("example.com")));
}

TEST(NameSetTest, CaseAndTrailingDot) {
  NameSet set;
  set.Add(*ParsePattern("host.example.com"));
  EXPECT_TRUE(set.Contains(N("HOST.Example.Com.")));
  EXPECT_TRUE(set.Contains(N("hOsT.eXaMpLe.CoM")));
  EXPECT_FALSE(set.Contains(N("www.host.example.com")));
}

TEST(NameSetTest, HundredThousandPatterns) {
  NameSet set;
  for (int i = 0; i < 100000; ++i) {
    set.Add(*ParsePattern("host" + std::to_string(i) + ".zone" + std::to_string(i % 97) +
                          ".example"));
    if (i % 10 == 0) set.Add(*ParsePattern("*.w" + std::to_string(i) + ".example"));
  }
  EXPECT_EQ(set.size(), 110000u);
  EXPECT_TRUE(set.Contains(N("host99999.zone89.example")));
  EXPECT_TRUE(set.Contains(N("deep.name.w99990.example")));
  EXPECT_FALSE(set.Contains(N("host99999.zone88.example")));
  EXPECT_FALSE(set.Contains(N("w99991.example")));
}

// --- Decisions -----------------------------------------------------------

PolicyConfig TwoGroups() {
  PolicyConfig config;
  config.groups.push_back(MakeGroup("lab", {"198.18.0.0/24"},
                                    {"*.corp.example", "corp.example", "Bücher.example"},
                                    {"secret.corp.example", "*.private.corp.example"}));
  GroupConfig identities = MakeGroup("laptops", {}, {"updates.vendor.example"});
  identities.identities = {"spiffe://example.org/laptop-a"};
  config.groups.push_back(identities);
  // Overlaps the first group: never reached for 198.18.0.0/24.
  config.groups.push_back(MakeGroup("shadow", {"198.18.0.0/16"}, {"*"}));
  return config;
}

TEST(PolicyTest, DenyWinsOverAllow) {
  std::shared_ptr<const Policy> policy = MustCreate(TwoGroups());
  const Group* group = policy->SelectGroup(Ip("198.18.0.5"), {});
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->name, "lab");
  EXPECT_EQ(policy->DecideName(group, N("www.corp.example")).verdict, Verdict::kAllow);
  EXPECT_EQ(policy->DecideName(group, N("corp.example")).verdict, Verdict::kAllow);
  EXPECT_EQ(policy->DecideName(group, N("SECRET.corp.example.")).verdict, Verdict::kDeny);
  EXPECT_EQ(policy->DecideName(group, N("a.private.corp.example")).verdict, Verdict::kDeny);
  EXPECT_EQ(policy->DecideName(group, N("other.example")).verdict, Verdict::kDeny);
  EXPECT_TRUE(policy->DecideName(group, N("other.example")).blocks());
}

TEST(PolicyTest, DenyCoversEveryQueryType) {
  std::shared_ptr<const Policy> policy = MustCreate(TwoGroups());
  const Group* group = policy->SelectGroup(Ip("198.18.0.5"), {});
  for (uint16_t qtype : {dns::type::kA, dns::type::kAaaa, dns::type::kHttps, dns::type::kSvcb,
                         dns::type::kTxt, dns::type::kMx}) {
    SCOPED_TRACE(qtype);
    absl::StatusOr<dns::Message> query =
        dns::ParseMessage(dns::samples::Query("Secret.Corp.Example", qtype, 1, true, false));
    ASSERT_TRUE(query.ok());
    absl::StatusOr<dns::QueryInfo> info = dns::ExtractQuery(*query);
    ASSERT_TRUE(info.ok());
    EXPECT_TRUE(policy->DecideName(group, info->qname).blocks());
  }
}

TEST(PolicyTest, IdnPatternMatchesALabelQuery) {
  std::shared_ptr<const Policy> policy = MustCreate(TwoGroups());
  const Group* group = policy->SelectGroup(Ip("198.18.0.5"), {});
  EXPECT_EQ(policy->DecideName(group, N("XN--BCHER-KVA.example")).verdict, Verdict::kAllow);
}

TEST(PolicyTest, FirstMatchingGroupWins) {
  std::shared_ptr<const Policy> policy = MustCreate(TwoGroups());
  EXPECT_EQ(policy->SelectGroup(Ip("198.18.0.200"), {})->name, "lab");
  EXPECT_EQ(policy->SelectGroup(Ip("198.18.1.1"), {})->name, "shadow");
  EXPECT_EQ(policy->SelectGroup(Ip("192.0.2.1"), {}), nullptr);
}

TEST(PolicyTest, IdentitySelectsGroup) {
  std::shared_ptr<const Policy> policy = MustCreate(TwoGroups());
  const std::vector<std::string> identities = {"dns:laptop-a.example",
                                               "spiffe://example.org/laptop-a"};
  const Group* group = policy->SelectGroup(Ip("192.0.2.1"), identities);
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->name, "laptops");
  const std::vector<std::string> other = {"spiffe://example.org/laptop-b"};
  EXPECT_EQ(policy->SelectGroup(Ip("192.0.2.1"), other), nullptr);
  // An address match earlier in the list wins over a later identity.
  EXPECT_EQ(policy->SelectGroup(Ip("198.18.0.9"), identities)->name, "lab");
}

TEST(PolicyTest, NoGroupIsProhibited) {
  std::shared_ptr<const Policy> policy = MustCreate(TwoGroups());
  const Decision decision = policy->DecideName(nullptr, N("www.corp.example"));
  EXPECT_EQ(decision.verdict, Verdict::kProhibited);
  EXPECT_TRUE(decision.blocks());
}

TEST(PolicyTest, DefaultGroupCatchesTheRest) {
  PolicyConfig config = TwoGroups();
  config.default_group = MakeGroup("default", {}, {"ntp.example"});
  std::shared_ptr<const Policy> policy = MustCreate(config);
  const Group* group = policy->SelectGroup(Ip("2001:db8::99"), {});
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->name, "default");
  EXPECT_EQ(policy->DecideName(group, N("ntp.example")).verdict, Verdict::kAllow);
  EXPECT_EQ(policy->DecideName(group, N("www.corp.example")).verdict, Verdict::kDeny);
}

TEST(PolicyTest, AuditModeMarksWouldBeDenied) {
  PolicyConfig config = TwoGroups();
  config.groups[0].mode = PolicyMode::kAudit;
  std::shared_ptr<const Policy> policy = MustCreate(config);
  const Group* lab = policy->SelectGroup(Ip("198.18.0.5"), {});
  const Decision decision = policy->DecideName(lab, N("secret.corp.example"));
  EXPECT_EQ(decision.verdict, Verdict::kDeny);
  EXPECT_TRUE(decision.audit_only);
  EXPECT_FALSE(decision.blocks());
  // Global audit also covers clients without a group.
  config.mode = PolicyMode::kAudit;
  config.groups[0].mode.reset();
  policy = MustCreate(config);
  EXPECT_TRUE(policy->DecideName(nullptr, N("x.example")).audit_only);
  EXPECT_TRUE(policy->DecideName(policy->SelectGroup(Ip("198.18.0.5"), {}), N("x.example"))
                  .audit_only);
}

TEST(PolicyTest, CnameRules) {
  const std::vector<dns::Name> to_denied = {N("www.corp.example"), N("secret.corp.example")};
  const std::vector<dns::Name> to_outside = {N("www.corp.example"), N("cdn.example.net")};
  const std::vector<dns::Name> inside = {N("www.corp.example"), N("edge.corp.example")};
  const struct {
    CnameRule rule;
    Verdict to_denied;
    Verdict to_outside;
  } cases[] = {
      {CnameRule::kQueryName, Verdict::kAllow, Verdict::kAllow},
      {CnameRule::kNoDeniedTarget, Verdict::kDeny, Verdict::kAllow},
      {CnameRule::kEveryName, Verdict::kDeny, Verdict::kDeny},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.rule));
    PolicyConfig config = TwoGroups();
    config.cname_rule = c.rule;
    std::shared_ptr<const Policy> policy = MustCreate(config);
    const Group* group = policy->SelectGroup(Ip("198.18.0.5"), {});
    EXPECT_EQ(policy->DecideChain(group, to_denied).verdict, c.to_denied);
    EXPECT_EQ(policy->DecideChain(group, to_outside).verdict, c.to_outside);
    EXPECT_EQ(policy->DecideChain(group, inside).verdict, Verdict::kAllow);
    if (c.to_outside == Verdict::kDeny) {
      EXPECT_EQ(policy->DecideChain(group, to_outside).decided_by, 1u);
    }
  }
}

TEST(PolicyTest, InvalidPatternNamesGroupAndLine) {
  PolicyConfig config = TwoGroups();
  config.groups[1].allow.push_back("bad..name");
  config.groups[1].allow_lines = {40, 41};
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Create(config);
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(policy.status().message(), HasSubstr("group \"laptops\""));
  EXPECT_THAT(policy.status().message(), HasSubstr("line 41"));
}

TEST(PolicyHolderTest, SwapWhileReading) {
  PolicyHolder holder(MustCreate(TwoGroups()));
  PolicyConfig open = TwoGroups();
  open.groups[0].allow.push_back("other.example");
  std::shared_ptr<const Policy> next = MustCreate(open);

  std::atomic<bool> stop{false};
  std::atomic<int> allowed{0};
  std::thread reader([&] {
    while (!stop.load()) {
      std::shared_ptr<const Policy> policy = holder.Load();
      const Group* group = policy->SelectGroup(Ip("198.18.0.5"), {});
      if (policy->DecideName(group, N("other.example")).verdict == Verdict::kAllow) ++allowed;
    }
  });
  holder.Store(next);
  while (allowed.load() == 0) std::this_thread::yield();
  stop = true;
  reader.join();
  EXPECT_EQ(holder.Load(), next);
}

}  // namespace
}  // namespace ztgate::resolver::policy
