// The FlowTable gRPC service of proto/ztgate/v1/flowtable.proto.
//
// NOTE: this first version serves GetStats only; the other methods return
// UNIMPLEMENTED until the allow table exists.
#ifndef ZTGATE_DATAPLANE_FLOWTABLE_SERVICE_H_
#define ZTGATE_DATAPLANE_FLOWTABLE_SERVICE_H_

#include "absl/time/time.h"
#include "dataplane/config.h"
#include "dataplane/forwarder.h"
#include "ztgate/v1/flowtable.grpc.pb.h"

namespace ztgate::dataplane {

class FlowTableService final : public ztgate::v1::FlowTable::Service {
 public:
  FlowTableService(const DataplaneConfig& config, const Forwarder& forwarder,
                   ForwarderPorts ports);

  grpc::Status GetStats(grpc::ServerContext* context, const ztgate::v1::GetStatsRequest* request,
                        ztgate::v1::GetStatsResponse* response) override;

 private:
  const DataplaneConfig& config_;
  const Forwarder& forwarder_;
  ForwarderPorts ports_;
  absl::Time start_time_ = absl::Now();
};

// Fills `response` from the port and worker counters.
void CollectStats(const DataplaneConfig& config, const Forwarder& forwarder, ForwarderPorts ports,
                  absl::Duration uptime, ztgate::v1::GetStatsResponse& response);

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_FLOWTABLE_SERVICE_H_
