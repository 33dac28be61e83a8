// The Policy gRPC service of proto/ztgate/v1/policy.proto.
//
// NOTE: GetPolicy serves the policy loaded from the configuration file; the
// methods that change the policy return UNIMPLEMENTED until policy hot swap
// exists.
#ifndef ZTGATE_CONTROLPLANE_POLICY_SERVICE_H_
#define ZTGATE_CONTROLPLANE_POLICY_SERVICE_H_

#include <functional>

#include "controlplane/control_config.h"
#include "ztgate/v1/policy.grpc.pb.h"

namespace ztgate::controlplane {

// Converts the configured policy to its API form.
ztgate::v1::PolicyDocument PolicyToProto(const resolver::PolicyConfig& policy, uint64_t version);

class PolicyService final : public ztgate::v1::Policy::Service {
 public:
  // Fills the counters of GetControlStats (decisions, cache, dataplanes).
  using StatsSource = std::function<void(ztgate::v1::GetControlStatsResponse&)>;

  PolicyService(const ControlConfig& config, StatsSource stats)
      : config_(config), stats_(std::move(stats)) {}

  grpc::Status GetPolicy(grpc::ServerContext* context, const ztgate::v1::GetPolicyRequest* request,
                         ztgate::v1::GetPolicyResponse* response) override;
  grpc::Status GetControlStats(grpc::ServerContext* context,
                               const ztgate::v1::GetControlStatsRequest* request,
                               ztgate::v1::GetControlStatsResponse* response) override;

 private:
  const ControlConfig& config_;
  StatsSource stats_;
  uint64_t version_ = 1;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_POLICY_SERVICE_H_
