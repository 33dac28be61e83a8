// The Policy gRPC service; see policy_service.h.
#include "controlplane/policy_service.h"

#include <spdlog/spdlog.h>

#include "common/str_cat.h"
#include "controlplane/policy_convert.h"
#include "google/protobuf/util/time_util.h"

namespace ztgate::controlplane {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kWatchPoll = absl::Milliseconds(200);

absl::StatusOr<PatternListKind> ListKind(ztgate::v1::PatternList list) {
  if (list == ztgate::v1::PATTERN_LIST_ALLOW) return PatternListKind::kAllow;
  if (list == ztgate::v1::PATTERN_LIST_DENY) return PatternListKind::kDeny;
  return absl::InvalidArgumentError("list must be PATTERN_LIST_ALLOW or PATTERN_LIST_DENY");
}

void DecisionToProto(const DecisionRecord& record, ztgate::v1::Decision& out) {
  *out.mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(record.time));
  out.set_client(record.client.ToBytes());
  out.set_identity(record.identity);
  out.set_group(record.group);
  out.set_name(record.name);
  out.set_qtype(record.qtype);
  out.set_verdict(std::string(VerdictLabel(record.verdict)));
  out.set_rcode(record.rcode);
  for (const IpAddress& address : record.addresses) out.add_addresses(address.ToBytes());
  *out.mutable_installed_lifetime() =
      TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(record.installed_lifetime));
  *out.mutable_install_latency() =
      TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(record.install_latency));
  out.set_transport(record.transport);
}

absl::StatusOr<std::vector<IpPrefix>> PrefixesFromProto(
    const google::protobuf::RepeatedPtrField<ztgate::v1::Prefix>& prefixes) {
  std::vector<IpPrefix> out;
  for (const ztgate::v1::Prefix& prefix : prefixes) {
    absl::StatusOr<IpPrefix> parsed = PrefixFromProto(prefix);
    if (!parsed.ok()) return parsed.status();
    out.push_back(*parsed);
  }
  return out;
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(ToStd(status.message())));
}

absl::Status PolicyService::ApplyDataplaneAudit() {
  if (parts_.installer == nullptr) return absl::OkStatus();
  // Serialized, so two concurrent changes cannot leave the dataplanes
  // with the older one's state.
  std::lock_guard lock(audit_mutex_);
  return parts_.installer->SetAudit(DataplaneAuditFor(parts_.store->Get().first));
}

absl::StatusOr<uint64_t> PolicyService::RevokeDenied() {
  if (parts_.installer == nullptr) return 0;
  std::shared_ptr<const resolver::policy::Policy> policy = parts_.policy->Load();
  return parts_.installer->Revoke([&policy](const FlowToInstall& flow) {
    if (flow.name.empty()) return false;
    absl::StatusOr<resolver::dns::Name> name = resolver::dns::Name::FromText(flow.name);
    if (!name.ok()) return false;
    // A flow adopted from a dataplane after a restart has no recorded
    // identities, so only its client address selects the group. That can
    // revoke a flow an identity's group still allows: the client asks
    // again and gets it back. Keeping a flow the policy now denies would
    // fail open.
    const std::vector<std::string> none;
    const resolver::policy::Group* group =
        policy->SelectGroup(flow.client, flow.identities ? *flow.identities : none);
    return policy->DecideName(group, *name).blocks();
  });
}

grpc::Status PolicyService::GetPolicy(grpc::ServerContext* /*context*/,
                                      const ztgate::v1::GetPolicyRequest* /*request*/,
                                      ztgate::v1::GetPolicyResponse* response) {
  auto [config, version] = parts_.store->Get();
  *response->mutable_policy() = PolicyToProto(config, version);
  return grpc::Status::OK;
}

grpc::Status PolicyService::ReplacePolicy(grpc::ServerContext* /*context*/,
                                          const ztgate::v1::ReplacePolicyRequest* request,
                                          ztgate::v1::ReplacePolicyResponse* response) {
  if (request->expected_version() == 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "expected_version is required: read the policy, then replace it");
  }
  auto [current, version] = parts_.store->Get();
  absl::StatusOr<resolver::PolicyConfig> config = PolicyFromProto(request->policy(), current);
  if (!config.ok()) return ToGrpc(config.status());
  absl::StatusOr<uint64_t> new_version =
      parts_.store->Replace(std::move(*config), request->expected_version());
  if (!new_version.ok()) return ToGrpc(new_version.status());
  if (absl::Status status = ApplyDataplaneAudit(); !status.ok()) return ToGrpc(status);
  response->set_version(*new_version);
  if (request->revoke()) {
    absl::StatusOr<uint64_t> revoked = RevokeDenied();
    if (!revoked.ok()) return ToGrpc(revoked.status());
    response->set_revoked_flows(*revoked);
  }
  return grpc::Status::OK;
}

grpc::Status PolicyService::AddPatterns(grpc::ServerContext* /*context*/,
                                        const ztgate::v1::AddPatternsRequest* request,
                                        ztgate::v1::AddPatternsResponse* response) {
  absl::StatusOr<PatternListKind> list = ListKind(request->list());
  if (!list.ok()) return ToGrpc(list.status());
  const std::vector<std::string> patterns(request->patterns().begin(), request->patterns().end());
  auto result = parts_.store->AddPatterns(request->group(), *list, patterns,
                                          request->expected_version());
  if (!result.ok()) return ToGrpc(result.status());
  response->set_version(result->first);
  response->set_added(result->second);
  if (request->revoke()) {
    absl::StatusOr<uint64_t> revoked = RevokeDenied();
    if (!revoked.ok()) return ToGrpc(revoked.status());
    response->set_revoked_flows(*revoked);
  }
  return grpc::Status::OK;
}

grpc::Status PolicyService::RemovePatterns(grpc::ServerContext* /*context*/,
                                           const ztgate::v1::RemovePatternsRequest* request,
                                           ztgate::v1::RemovePatternsResponse* response) {
  absl::StatusOr<PatternListKind> list = ListKind(request->list());
  if (!list.ok()) return ToGrpc(list.status());
  const std::vector<std::string> patterns(request->patterns().begin(), request->patterns().end());
  auto result = parts_.store->RemovePatterns(request->group(), *list, patterns,
                                             request->expected_version());
  if (!result.ok()) return ToGrpc(result.status());
  response->set_version(result->first);
  response->set_removed(result->second);
  if (request->revoke()) {
    absl::StatusOr<uint64_t> revoked = RevokeDenied();
    if (!revoked.ok()) return ToGrpc(revoked.status());
    response->set_revoked_flows(*revoked);
  }
  return grpc::Status::OK;
}

grpc::Status PolicyService::SetExceptions(grpc::ServerContext* /*context*/,
                                          const ztgate::v1::SetExceptionsRequest* request,
                                          ztgate::v1::SetExceptionsResponse* response) {
  absl::StatusOr<std::vector<IpPrefix>> prefixes = PrefixesFromProto(request->prefixes());
  if (!prefixes.ok()) return ToGrpc(prefixes.status());
  if (parts_.installer == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no dataplane is configured");
  }
  if (absl::Status status = parts_.installer->SetExceptions(*prefixes); !status.ok()) {
    return ToGrpc(status);
  }
  response->set_prefixes(static_cast<uint32_t>(prefixes->size()));
  return grpc::Status::OK;
}

grpc::Status PolicyService::SetPolicyMode(grpc::ServerContext* /*context*/,
                                          const ztgate::v1::SetPolicyModeRequest* request,
                                          ztgate::v1::SetPolicyModeResponse* response) {
  if (request->mode() != ztgate::v1::MODE_ENFORCE && request->mode() != ztgate::v1::MODE_AUDIT) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "mode must be ENFORCE or AUDIT");
  }
  const resolver::PolicyMode mode = request->mode() == ztgate::v1::MODE_AUDIT
                                        ? resolver::PolicyMode::kAudit
                                        : resolver::PolicyMode::kEnforce;
  absl::StatusOr<uint64_t> version = parts_.store->SetMode(mode, request->group());
  if (!version.ok()) return ToGrpc(version.status());
  if (absl::Status status = ApplyDataplaneAudit(); !status.ok()) return ToGrpc(status);
  response->set_version(*version);
  if (request->revoke()) {
    absl::StatusOr<uint64_t> revoked = RevokeDenied();
    if (!revoked.ok()) return ToGrpc(revoked.status());
    response->set_revoked_flows(*revoked);
  }
  return grpc::Status::OK;
}

grpc::Status PolicyService::GetControlStats(grpc::ServerContext* /*context*/,
                                            const ztgate::v1::GetControlStatsRequest* /*request*/,
                                            ztgate::v1::GetControlStatsResponse* response) {
  response->set_policy_version(parts_.store->Get().second);
  if (parts_.stats) parts_.stats(*response);
  return grpc::Status::OK;
}

grpc::Status PolicyService::WatchDecisions(
    grpc::ServerContext* context, const ztgate::v1::WatchDecisionsRequest* request,
    grpc::ServerWriter<ztgate::v1::WatchDecisionsResponse>* writer) {
  absl::StatusOr<std::vector<IpPrefix>> clients = PrefixesFromProto(request->clients());
  if (!clients.ok()) return ToGrpc(clients.status());
  std::shared_ptr<DecisionSubscription> subscription = parts_.decisions->Subscribe();
  while (!context->IsCancelled() && !subscription->closed()) {
    auto [records, lost] = subscription->Next(kWatchPoll);
    ztgate::v1::WatchDecisionsResponse response;
    response.set_lost(lost);
    for (const DecisionRecord& record : records) {
      const bool wanted =
          clients->empty() || std::any_of(clients->begin(), clients->end(),
                                          [&](const IpPrefix& p) { return p.Contains(record.client); });
      if (wanted) DecisionToProto(record, *response.add_decisions());
    }
    if (response.decisions_size() == 0 && lost == 0) continue;
    if (!writer->Write(response)) break;
  }
  parts_.decisions->Unsubscribe(subscription);
  return grpc::Status::OK;
}

grpc::Status PolicyService::GetAuditReport(grpc::ServerContext* /*context*/,
                                           const ztgate::v1::GetAuditReportRequest* request,
                                           ztgate::v1::GetAuditReportResponse* response) {
  absl::StatusOr<std::vector<IpPrefix>> clients = PrefixesFromProto(request->clients());
  if (!clients.ok()) return ToGrpc(clients.status());
  *response = parts_.audit->Report(*clients);
  return grpc::Status::OK;
}

}  // namespace ztgate::controlplane
