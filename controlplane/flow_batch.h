// Conversion between flows to install and InstallFlowsRequest messages.
// A batch interns each domain name once in the request's name table, so a
// batch of thousands of flows for a few names stays small on the wire.
#ifndef ZTGATE_CONTROLPLANE_FLOW_BATCH_H_
#define ZTGATE_CONTROLPLANE_FLOW_BATCH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ip_address.h"
#include "ztgate/v1/flowtable.pb.h"

namespace ztgate::controlplane {

struct FlowToInstall {
  IpAddress client;
  IpAddress destination;
  absl::Duration lifetime;
  std::string name;  // Query name the destination was resolved for.
  // The client identities (mTLS name and fingerprint) that selected the
  // policy group when the answer was decided; empty for a client without
  // a certificate. Null when unknown: a flow read back from a dataplane,
  // which does not store identities. Shared by the flows of one answer.
  std::shared_ptr<const std::vector<std::string>> identities;

  bool operator==(const FlowToInstall&) const = default;
};

class FlowBatchBuilder {
 public:
  // Appends a flow. Client and destination must be of one family.
  void Add(const FlowToInstall& flow);
  size_t size() const { return request_.flows_size(); }
  // Returns the request built so far and starts a new one.
  ztgate::v1::InstallFlowsRequest Take(uint64_t batch_id);

 private:
  ztgate::v1::InstallFlowsRequest request_;
  absl::flat_hash_map<std::string, uint32_t> name_index_;
};

// Decodes and validates every flow of a request: address lengths, equal
// families, a positive lifetime and name indexes inside the name table.
absl::StatusOr<std::vector<FlowToInstall>> DecodeFlowBatch(
    const ztgate::v1::InstallFlowsRequest& request);

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_FLOW_BATCH_H_
