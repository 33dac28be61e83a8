// What the dataplanes must do for the policy's audit modes. The dataplane
// identifies clients only by address: global audit mode puts every dataplane in
// audit mode, and each group in audit mode under a global enforce mode
// adds its client subnets to the dataplanes' audit client list.
//
// NOTE: a group matched only by mTLS identity, and the default group, have
// no subnet to give, so their clients' traffic stays enforced at the
// dataplane while their DNS answers are audited; a group in enforce mode
// under global audit is audited at the dataplane like everyone else.
#ifndef ZTGATE_CONTROLPLANE_DATAPLANE_AUDIT_H_
#define ZTGATE_CONTROLPLANE_DATAPLANE_AUDIT_H_

#include <vector>

#include "common/ip_address.h"
#include "resolver/resolver_config.h"
#include "ztgate/v1/flowtable.pb.h"

namespace ztgate::controlplane {

struct DataplaneAudit {
  ztgate::v1::Mode mode = ztgate::v1::MODE_ENFORCE;
  std::vector<IpPrefix> audit_clients;  // Empty in global audit mode.

  bool operator==(const DataplaneAudit&) const = default;
};

DataplaneAudit DataplaneAuditFor(const resolver::PolicyConfig& policy);

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_DATAPLANE_AUDIT_H_
