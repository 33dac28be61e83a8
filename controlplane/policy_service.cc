// The Policy gRPC service; see policy_service.h.
#include "controlplane/policy_service.h"

namespace ztgate::controlplane {
namespace {

ztgate::v1::Mode ModeToProto(resolver::PolicyMode mode) {
  return mode == resolver::PolicyMode::kAudit ? ztgate::v1::MODE_AUDIT : ztgate::v1::MODE_ENFORCE;
}

void GroupToProto(const resolver::GroupConfig& group, ztgate::v1::Group& out) {
  out.set_name(group.name);
  for (const IpPrefix& prefix : group.clients) {
    ztgate::v1::Prefix* client = out.add_clients();
    client->set_address(prefix.address().ToBytes());
    client->set_prefix_length(static_cast<uint32_t>(prefix.length()));
  }
  for (const std::string& identity : group.identities) out.add_identities(identity);
  for (const std::string& pattern : group.allow) out.add_allow(pattern);
  for (const std::string& pattern : group.deny) out.add_deny(pattern);
  out.set_default_verdict(ztgate::v1::VERDICT_DENY);
  if (group.mode) out.set_mode(ModeToProto(*group.mode));
}

}  // namespace

ztgate::v1::PolicyDocument PolicyToProto(const resolver::PolicyConfig& policy, uint64_t version) {
  ztgate::v1::PolicyDocument document;
  document.set_version(version);
  document.set_mode(ModeToProto(policy.mode));
  for (const resolver::GroupConfig& group : policy.groups) {
    GroupToProto(group, *document.add_groups());
  }
  if (policy.default_group) GroupToProto(*policy.default_group, *document.mutable_default_group());
  return document;
}

grpc::Status PolicyService::GetPolicy(grpc::ServerContext* /*context*/,
                                      const ztgate::v1::GetPolicyRequest* /*request*/,
                                      ztgate::v1::GetPolicyResponse* response) {
  *response->mutable_policy() = PolicyToProto(config_.resolver.policy, version_);
  return grpc::Status::OK;
}

grpc::Status PolicyService::GetControlStats(grpc::ServerContext* /*context*/,
                                            const ztgate::v1::GetControlStatsRequest* /*request*/,
                                            ztgate::v1::GetControlStatsResponse* response) {
  response->set_policy_version(version_);
  if (stats_) stats_(*response);
  return grpc::Status::OK;
}

}  // namespace ztgate::controlplane
