// The Policy gRPC service of proto/ztgate/v1/policy.proto: read and change
// the live policy, set the dataplanes' exceptions and mode, read counters,
// stream decisions and summarize audit findings.
//
// A policy change applies to the next query without a restart and drops no
// connection. It leaves installed flows alone unless the request asks to
// revoke: then every installed flow whose name the new policy denies for
// its client is removed from the dataplanes.
// NOTE: revocation judges a flow by its client address only; a flow
// installed for an mTLS identity's group is judged by the address's group.
#ifndef ZTGATE_CONTROLPLANE_POLICY_SERVICE_H_
#define ZTGATE_CONTROLPLANE_POLICY_SERVICE_H_

#include <functional>
#include <mutex>

#include "controlplane/audit_collector.h"
#include "controlplane/control_config.h"
#include "controlplane/decision_hub.h"
#include "controlplane/flow_installer.h"
#include "controlplane/policy_store.h"
#include "ztgate/v1/policy.grpc.pb.h"

namespace ztgate::controlplane {

class PolicyService final : public ztgate::v1::Policy::Service {
 public:
  // Fills the counters of GetControlStats (decisions, cache, dataplanes).
  using StatsSource = std::function<void(ztgate::v1::GetControlStatsResponse&)>;

  struct Parts {
    PolicyStore* store = nullptr;
    resolver::policy::PolicyHolder* policy = nullptr;
    FlowInstaller* installer = nullptr;  // May be null: no dataplane.
    DecisionHub* decisions = nullptr;
    AuditCollector* audit = nullptr;
    StatsSource stats;
  };

  explicit PolicyService(Parts parts) : parts_(std::move(parts)) {}

  grpc::Status GetPolicy(grpc::ServerContext* context, const ztgate::v1::GetPolicyRequest* request,
                         ztgate::v1::GetPolicyResponse* response) override;
  grpc::Status ReplacePolicy(grpc::ServerContext* context,
                             const ztgate::v1::ReplacePolicyRequest* request,
                             ztgate::v1::ReplacePolicyResponse* response) override;
  grpc::Status AddPatterns(grpc::ServerContext* context,
                           const ztgate::v1::AddPatternsRequest* request,
                           ztgate::v1::AddPatternsResponse* response) override;
  grpc::Status RemovePatterns(grpc::ServerContext* context,
                              const ztgate::v1::RemovePatternsRequest* request,
                              ztgate::v1::RemovePatternsResponse* response) override;
  grpc::Status SetExceptions(grpc::ServerContext* context,
                             const ztgate::v1::SetExceptionsRequest* request,
                             ztgate::v1::SetExceptionsResponse* response) override;
  grpc::Status SetPolicyMode(grpc::ServerContext* context,
                             const ztgate::v1::SetPolicyModeRequest* request,
                             ztgate::v1::SetPolicyModeResponse* response) override;
  grpc::Status GetControlStats(grpc::ServerContext* context,
                               const ztgate::v1::GetControlStatsRequest* request,
                               ztgate::v1::GetControlStatsResponse* response) override;
  grpc::Status WatchDecisions(grpc::ServerContext* context,
                              const ztgate::v1::WatchDecisionsRequest* request,
                              grpc::ServerWriter<ztgate::v1::WatchDecisionsResponse>* writer)
      override;
  grpc::Status GetAuditReport(grpc::ServerContext* context,
                              const ztgate::v1::GetAuditReportRequest* request,
                              ztgate::v1::GetAuditReportResponse* response) override;

 private:
  // Removes installed flows the current policy denies; returns the count.
  absl::StatusOr<uint64_t> RevokeDenied();
  // Gives the dataplanes the mode and audit clients of the current policy.
  absl::Status ApplyDataplaneAudit();

  Parts parts_;
  std::mutex audit_mutex_;
};

// Converts an absl::Status to the gRPC status of the same code.
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_POLICY_SERVICE_H_
