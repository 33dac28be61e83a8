// Conversion between the policy's configuration form (resolver_config.h)
// and its API form (PolicyDocument in proto/ztgate/v1/policy.proto).
#ifndef ZTGATE_CONTROLPLANE_POLICY_CONVERT_H_
#define ZTGATE_CONTROLPLANE_POLICY_CONVERT_H_

#include "absl/status/statusor.h"
#include "resolver/resolver_config.h"
#include "ztgate/v1/policy.pb.h"

namespace ztgate::controlplane {

ztgate::v1::PolicyDocument PolicyToProto(const resolver::PolicyConfig& policy, uint64_t version);

// Validates addresses, prefix lengths, group names and verdicts; pattern
// syntax is checked when the policy is built (resolver::policy::Policy).
// Settings the API does not carry (denied rcode, CNAME rule) are taken from
// `base`.
absl::StatusOr<resolver::PolicyConfig> PolicyFromProto(const ztgate::v1::PolicyDocument& document,
                                                       const resolver::PolicyConfig& base);

absl::StatusOr<IpPrefix> PrefixFromProto(const ztgate::v1::Prefix& prefix);
void PrefixToProto(const IpPrefix& prefix, ztgate::v1::Prefix& out);

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_POLICY_CONVERT_H_
