// Tests of DataplaneAuditFor: which mode and audit clients the dataplanes
// get for a policy's global and per-group audit modes.
#include "controlplane/dataplane_audit.h"

#include <gtest/gtest.h>

namespace ztgate::controlplane {
namespace {

resolver::GroupConfig Group(const char* name, std::vector<const char*> clients,
                            std::optional<resolver::PolicyMode> mode) {
  resolver::GroupConfig group;
  group.name = name;
  for (const char* client : clients) group.clients.push_back(*IpPrefix::Parse(client));
  group.mode = mode;
  return group;
}

TEST(DataplaneAuditTest, EnforceEverywhereAuditsNobody) {
  resolver::PolicyConfig policy;
  policy.groups.push_back(Group("lab", {"198.18.0.0/24"}, std::nullopt));
  const DataplaneAudit audit = DataplaneAuditFor(policy);
  EXPECT_EQ(audit.mode, ztgate::v1::MODE_ENFORCE);
  EXPECT_TRUE(audit.audit_clients.empty());
}

TEST(DataplaneAuditTest, GlobalAuditPutsTheDataplaneInAuditMode) {
  resolver::PolicyConfig policy;
  policy.mode = resolver::PolicyMode::kAudit;
  policy.groups.push_back(Group("lab", {"198.18.0.0/24"}, resolver::PolicyMode::kEnforce));
  const DataplaneAudit audit = DataplaneAuditFor(policy);
  EXPECT_EQ(audit.mode, ztgate::v1::MODE_AUDIT);
  EXPECT_TRUE(audit.audit_clients.empty());
}

TEST(DataplaneAuditTest, GroupAuditListsTheGroupsSubnetsOnce) {
  resolver::PolicyConfig policy;
  policy.groups.push_back(
      Group("trial", {"198.18.1.0/24", "2001:db8:1::/48"}, resolver::PolicyMode::kAudit));
  policy.groups.push_back(Group("trial-too", {"198.18.1.0/24"}, resolver::PolicyMode::kAudit));
  policy.groups.push_back(Group("others", {"198.18.2.0/24"}, std::nullopt));
  resolver::GroupConfig by_identity = Group("laptops", {}, resolver::PolicyMode::kAudit);
  by_identity.identities.push_back("spiffe://corp.example/laptop");
  policy.groups.push_back(by_identity);
  const DataplaneAudit audit = DataplaneAuditFor(policy);
  EXPECT_EQ(audit.mode, ztgate::v1::MODE_ENFORCE);
  ASSERT_EQ(audit.audit_clients.size(), 2u);
  EXPECT_EQ(audit.audit_clients[0], *IpPrefix::Parse("198.18.1.0/24"));
  EXPECT_EQ(audit.audit_clients[1], *IpPrefix::Parse("2001:db8:1::/48"));
}

}  // namespace
}  // namespace ztgate::controlplane
