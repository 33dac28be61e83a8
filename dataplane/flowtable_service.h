// The FlowTable gRPC service of proto/ztgate/v1/flowtable.proto. Handlers
// run on gRPC's threads. Each table change and table walk is posted to the
// control thread, the table's only writer, and the handler waits for it.
#ifndef ZTGATE_DATAPLANE_FLOWTABLE_SERVICE_H_
#define ZTGATE_DATAPLANE_FLOWTABLE_SERVICE_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"
#include "dataplane/config.h"
#include "dataplane/control_thread.h"
#include "dataplane/drop_sampler.h"
#include "dataplane/exceptions.h"
#include "dataplane/flow_store.h"
#include "dataplane/forwarder.h"
#include "ztgate/v1/flowtable.grpc.pb.h"

namespace ztgate::dataplane {

struct FlowTableServiceParts {
  Forwarder* forwarder = nullptr;
  FlowStore* store = nullptr;
  ControlThread* control = nullptr;
  Exceptions* exceptions = nullptr;
  Exceptions* audit_clients = nullptr;
  DropHub* drop_hub = nullptr;
  uint64_t ticks_per_second = 0;
  uint32_t exception_prefixes = 0;  // Prefixes in force at start-up.
};

// InstallFlows runs on gRPC's callback API (see InstallStream); the other
// methods are synchronous.
class FlowTableService final
    : public ztgate::v1::FlowTable::WithCallbackMethod_InstallFlows<
          ztgate::v1::FlowTable::Service> {
 public:
  explicit FlowTableService(FlowTableServiceParts parts)
      : parts_(parts), exception_prefixes_(parts.exception_prefixes) {}

  // Ends open WatchDrops streams so the server can shut down.
  void Shutdown() { shutting_down_.store(true); }

  grpc::ServerBidiReactor<ztgate::v1::InstallFlowsRequest, ztgate::v1::InstallFlowsResponse>*
  InstallFlows(grpc::CallbackServerContext* context) override;
  grpc::Status RemoveFlows(grpc::ServerContext* context,
                           const ztgate::v1::RemoveFlowsRequest* request,
                           ztgate::v1::RemoveFlowsResponse* response) override;
  grpc::Status ListFlows(grpc::ServerContext* context, const ztgate::v1::ListFlowsRequest* request,
                         grpc::ServerWriter<ztgate::v1::ListFlowsResponse>* writer) override;
  grpc::Status GetStats(grpc::ServerContext* context, const ztgate::v1::GetStatsRequest* request,
                        ztgate::v1::GetStatsResponse* response) override;
  grpc::Status SetExceptions(grpc::ServerContext* context,
                             const ztgate::v1::SetExceptionsRequest* request,
                             ztgate::v1::SetExceptionsResponse* response) override;
  grpc::Status SetMode(grpc::ServerContext* context, const ztgate::v1::SetModeRequest* request,
                       ztgate::v1::SetModeResponse* response) override;
  grpc::Status SetAuditClients(grpc::ServerContext* context,
                               const ztgate::v1::SetAuditClientsRequest* request,
                               ztgate::v1::SetAuditClientsResponse* response) override;
  grpc::Status WatchDrops(grpc::ServerContext* context, const ztgate::v1::WatchDropsRequest* request,
                          grpc::ServerWriter<ztgate::v1::WatchDropsResponse>* writer) override;

 private:
  // Replaces `list` with the prefixes of `wire` on the control thread.
  // Stores their number in `size` and `*replaced`, and logs it under `what`.
  grpc::Status ReplacePrefixList(const google::protobuf::RepeatedPtrField<ztgate::v1::Prefix>& wire,
                                 Exceptions& list, std::atomic<uint32_t>& size, const char* what,
                                 uint32_t* replaced);

  FlowTableServiceParts parts_;
  absl::Time start_time_ = absl::Now();
  std::atomic<bool> shutting_down_{false};
  std::atomic<uint32_t> exception_prefixes_;
  std::atomic<uint32_t> audit_client_prefixes_{0};
};

// Fills `response` from the port and worker counters and, when `store` is
// set, the table's occupancy. Reads only counters and atomics, so any
// thread may call it.
void CollectStats(const Forwarder& forwarder, const FlowStore* store, uint32_t exception_prefixes,
                  uint32_t audit_client_prefixes, absl::Duration uptime,
                  ztgate::v1::GetStatsResponse& response);

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_FLOWTABLE_SERVICE_H_
