// The dataplanes' share of audit mode; see dataplane_audit.h.
#include "controlplane/dataplane_audit.h"

#include <algorithm>

namespace ztgate::controlplane {

DataplaneAudit DataplaneAuditFor(const resolver::PolicyConfig& policy) {
  DataplaneAudit audit;
  if (policy.mode == resolver::PolicyMode::kAudit) {
    audit.mode = ztgate::v1::MODE_AUDIT;
    return audit;
  }
  const auto add_group = [&audit](const resolver::GroupConfig& group) {
    if (group.mode != resolver::PolicyMode::kAudit) return;
    for (const IpPrefix& prefix : group.clients) {
      if (std::find(audit.audit_clients.begin(), audit.audit_clients.end(), prefix) ==
          audit.audit_clients.end()) {
        audit.audit_clients.push_back(prefix);
      }
    }
  };
  for (const resolver::GroupConfig& group : policy.groups) add_group(group);
  if (policy.default_group) add_group(*policy.default_group);
  return audit;
}

}  // namespace ztgate::controlplane
