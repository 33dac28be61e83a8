// Policy conversion; see policy_convert.h.
#include "controlplane/policy_convert.h"

#include "absl/container/flat_hash_set.h"
#include "common/str_cat.h"

namespace ztgate::controlplane {
namespace {

using resolver::GroupConfig;
using resolver::PolicyMode;

ztgate::v1::Mode ModeToProto(PolicyMode mode) {
  return mode == PolicyMode::kAudit ? ztgate::v1::MODE_AUDIT : ztgate::v1::MODE_ENFORCE;
}

void GroupToProto(const GroupConfig& group, ztgate::v1::Group& out) {
  out.set_name(group.name);
  for (const IpPrefix& prefix : group.clients) PrefixToProto(prefix, *out.add_clients());
  for (const std::string& identity : group.identities) out.add_identities(identity);
  for (const std::string& pattern : group.allow) out.add_allow(pattern);
  for (const std::string& pattern : group.deny) out.add_deny(pattern);
  out.set_default_verdict(ztgate::v1::VERDICT_DENY);
  if (group.mode) out.set_mode(ModeToProto(*group.mode));
}

absl::StatusOr<GroupConfig> GroupFromProto(const ztgate::v1::Group& group) {
  GroupConfig config;
  config.name = group.name();
  if (config.name.empty()) return absl::InvalidArgumentError("every group needs a name");
  for (const ztgate::v1::Prefix& prefix : group.clients()) {
    absl::StatusOr<IpPrefix> parsed = PrefixFromProto(prefix);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          StrCat("group ", config.name, ": ", parsed.status().message()));
    }
    config.clients.push_back(*parsed);
  }
  config.identities.assign(group.identities().begin(), group.identities().end());
  config.allow.assign(group.allow().begin(), group.allow().end());
  config.deny.assign(group.deny().begin(), group.deny().end());
  // Names no pattern matches are denied; allow "*" to admit every name.
  if (group.default_verdict() == ztgate::v1::VERDICT_ALLOW) {
    return absl::InvalidArgumentError(StrCat(
        "group ", config.name, ": default_verdict ALLOW is not supported; add \"*\" to allow"));
  }
  if (group.mode() == ztgate::v1::MODE_AUDIT) config.mode = PolicyMode::kAudit;
  if (group.mode() == ztgate::v1::MODE_ENFORCE) config.mode = PolicyMode::kEnforce;
  return config;
}

}  // namespace

absl::StatusOr<IpPrefix> PrefixFromProto(const ztgate::v1::Prefix& prefix) {
  absl::StatusOr<IpAddress> address = IpAddress::FromBytes(prefix.address());
  if (!address.ok()) return address.status();
  return IpPrefix::Create(*address, static_cast<int>(prefix.prefix_length()));
}

void PrefixToProto(const IpPrefix& prefix, ztgate::v1::Prefix& out) {
  out.set_address(prefix.address().ToBytes());
  out.set_prefix_length(static_cast<uint32_t>(prefix.length()));
}

ztgate::v1::PolicyDocument PolicyToProto(const resolver::PolicyConfig& policy, uint64_t version) {
  ztgate::v1::PolicyDocument document;
  document.set_version(version);
  document.set_mode(ModeToProto(policy.mode));
  for (const GroupConfig& group : policy.groups) GroupToProto(group, *document.add_groups());
  if (policy.default_group) GroupToProto(*policy.default_group, *document.mutable_default_group());
  return document;
}

absl::StatusOr<resolver::PolicyConfig> PolicyFromProto(const ztgate::v1::PolicyDocument& document,
                                                       const resolver::PolicyConfig& base) {
  resolver::PolicyConfig policy;
  policy.denied_rcode = base.denied_rcode;
  policy.cname_rule = base.cname_rule;
  policy.mode = document.mode() == ztgate::v1::MODE_AUDIT ? PolicyMode::kAudit
                                                          : PolicyMode::kEnforce;
  absl::flat_hash_set<std::string> names;
  for (const ztgate::v1::Group& group : document.groups()) {
    absl::StatusOr<GroupConfig> config = GroupFromProto(group);
    if (!config.ok()) return config.status();
    if (!names.insert(config->name).second) {
      return absl::InvalidArgumentError(StrCat("duplicate group name \"", config->name, "\""));
    }
    policy.groups.push_back(std::move(*config));
  }
  if (document.has_default_group()) {
    ztgate::v1::Group group = document.default_group();
    if (group.name().empty()) group.set_name("default");
    absl::StatusOr<GroupConfig> config = GroupFromProto(group);
    if (!config.ok()) return config.status();
    policy.default_group = std::move(*config);
  }
  return policy;
}

}  // namespace ztgate::controlplane
