// The Policy gRPC service of proto/ztgate/v1/policy.proto.
//
// NOTE: this first version serves GetPolicy and GetControlStats from the
// loaded configuration; the methods that change the policy return
// UNIMPLEMENTED until policy hot swap exists.
#ifndef ZTGATE_CONTROLPLANE_POLICY_SERVICE_H_
#define ZTGATE_CONTROLPLANE_POLICY_SERVICE_H_

#include "controlplane/control_config.h"
#include "ztgate/v1/policy.grpc.pb.h"

namespace ztgate::controlplane {

// Converts the configured policy to its API form.
ztgate::v1::PolicyDocument PolicyToProto(const resolver::PolicyConfig& policy, uint64_t version);

class PolicyService final : public ztgate::v1::Policy::Service {
 public:
  explicit PolicyService(const ControlConfig& config) : config_(config) {}

  grpc::Status GetPolicy(grpc::ServerContext* context, const ztgate::v1::GetPolicyRequest* request,
                         ztgate::v1::GetPolicyResponse* response) override;
  grpc::Status GetControlStats(grpc::ServerContext* context,
                               const ztgate::v1::GetControlStatsRequest* request,
                               ztgate::v1::GetControlStatsResponse* response) override;

 private:
  const ControlConfig& config_;
  uint64_t version_ = 1;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_POLICY_SERVICE_H_
