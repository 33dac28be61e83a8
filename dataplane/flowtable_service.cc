// The FlowTable gRPC service; see flowtable_service.h.
#include "dataplane/flowtable_service.h"

#include <optional>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <spdlog/spdlog.h>

#include "common/str_cat.h"
#include "dataplane/ports.h"

namespace ztgate::dataplane {
namespace {

// Flows per ListFlows response when the request leaves page_size at 0, and
// the largest page the server sends.
constexpr uint32_t kDefaultPageSize = 1024;
constexpr uint32_t kMaxPageSize = 16384;
// How long a WatchDrops stream waits for samples before it checks whether
// the caller or the server has gone.
constexpr int kWatchPollMs = 200;

grpc::Status Unavailable() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the dataplane is shutting down");
}

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

void AddPortStats(const char* role, uint16_t port, ztgate::v1::GetStatsResponse& response) {
  rte_eth_stats stats{};
  rte_eth_stats_get(port, &stats);
  ztgate::v1::PortStats* out = response.add_ports();
  out->set_name(role);
  out->set_port_id(port);
  out->set_rx_packets(stats.ipackets);
  out->set_rx_bytes(stats.ibytes);
  out->set_tx_packets(stats.opackets);
  out->set_tx_bytes(stats.obytes);
  out->set_rx_missed(stats.imissed);
  out->set_tx_failed(stats.oerrors);
}

template <size_t N>
void AddCounters(const ReasonInfo (&info)[N], const std::vector<WorkerCounters>& workers,
                 const std::array<SingleWriterCounter, N> WorkerCounters::*field,
                 google::protobuf::RepeatedPtrField<ztgate::v1::Counter>* out) {
  for (size_t i = 0; i < N; ++i) {
    uint64_t total = 0;
    for (const WorkerCounters& worker : workers) total += (worker.*field)[i].Read();
    ztgate::v1::Counter* counter = out->Add();
    counter->set_name(std::string(info[i].name));
    counter->set_description(std::string(info[i].description));
    counter->set_value(total);
  }
}

ztgate::v1::Mode ToProto(EnforcementMode mode) {
  return mode == EnforcementMode::kAudit ? ztgate::v1::MODE_AUDIT : ztgate::v1::MODE_ENFORCE;
}

}  // namespace

void CollectStats(const Forwarder& forwarder, const FlowStore* store, uint32_t exception_prefixes,
                  uint32_t audit_client_prefixes, absl::Duration uptime,
                  ztgate::v1::GetStatsResponse& response) {
  AddPortStats("inside", forwarder.ports().inside, response);
  AddPortStats("outside", forwarder.ports().outside, response);
  AddCounters(kDropReasonInfo, forwarder.counters(), &WorkerCounters::drops,
              response.mutable_drops());
  AddCounters(kPassReasonInfo, forwarder.counters(), &WorkerCounters::passes,
              response.mutable_passes());
  AddCounters(kDropReasonInfo, forwarder.counters(), &WorkerCounters::audited,
              response.mutable_audited());
  if (store != nullptr) {
    // Entries past their lifetime count until the sweeper removes them,
    // within one sweep interval.
    response.set_flows(store->table().size());
    response.set_flow_capacity(store->table().capacity());
    response.set_install_rejected_full(store->install_rejected_full());
  }
  response.set_mode(ToProto(forwarder.mode()));
  response.set_exception_prefixes(exception_prefixes);
  response.set_audit_client_prefixes(audit_client_prefixes);
  response.mutable_uptime()->set_seconds(absl::ToInt64Seconds(uptime));
}

namespace {

// One InstallFlows stream, on gRPC's callback API: each batch is installed
// in OnReadDone, on the gRPC thread that received it, as the table's writer
// (ControlThread::RunInline), and its acknowledgement is started from the
// same thread. No other thread takes part, so an acknowledgement costs no
// wake-up between threads. The next batch is read once the
// acknowledgement is written; meanwhile it waits in gRPC's receive buffer.
// NOTE: the install blocks this gRPC thread for up to one sweep step plus a
// QSBR grace period, longer than gRPC advises for a reaction.
class InstallStream final
    : public grpc::ServerBidiReactor<ztgate::v1::InstallFlowsRequest,
                                     ztgate::v1::InstallFlowsResponse> {
 public:
  InstallStream(ControlThread& control, FlowStore& store) : control_(control), store_(store) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);  // The caller closed its side.
      return;
    }
    std::optional<ztgate::v1::InstallFlowsResponse> response =
        control_.RunInline([this]() -> std::optional<ztgate::v1::InstallFlowsResponse> {
          return store_.Install(request_);
        }, std::optional<ztgate::v1::InstallFlowsResponse>());
    if (!response) {
      Finish(Unavailable());
      return;
    }
    response_ = std::move(*response);
    if (response_.code() != 0) {
      spdlog::warn("batch {}: {} flows not installed, first error: {}", response_.batch_id(),
                   response_.errors_size(), response_.errors(0).message());
    }
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::CANCELLED);
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  ControlThread& control_;
  FlowStore& store_;
  ztgate::v1::InstallFlowsRequest request_;
  ztgate::v1::InstallFlowsResponse response_;
};

}  // namespace

grpc::ServerBidiReactor<ztgate::v1::InstallFlowsRequest, ztgate::v1::InstallFlowsResponse>*
FlowTableService::InstallFlows(grpc::CallbackServerContext* /*context*/) {
  return new InstallStream(*parts_.control, *parts_.store);
}

grpc::Status FlowTableService::RemoveFlows(grpc::ServerContext* /*context*/,
                                           const ztgate::v1::RemoveFlowsRequest* request,
                                           ztgate::v1::RemoveFlowsResponse* response) {
  std::optional<absl::StatusOr<uint32_t>> removed = parts_.control->Call(
      [&]() -> std::optional<absl::StatusOr<uint32_t>> { return parts_.store->Remove(*request); },
      std::optional<absl::StatusOr<uint32_t>>());
  if (!removed) return Unavailable();
  if (!removed->ok()) return ToGrpc(removed->status());
  response->set_removed(**removed);
  return grpc::Status::OK;
}

grpc::Status FlowTableService::ListFlows(grpc::ServerContext* context,
                                         const ztgate::v1::ListFlowsRequest* request,
                                         grpc::ServerWriter<ztgate::v1::ListFlowsResponse>* writer) {
  absl::StatusOr<std::vector<IpPrefix>> clients = PrefixesFromProto(request->clients());
  if (!clients.ok()) return ToGrpc(clients.status());
  const uint32_t page_size = request->page_size() == 0
                                 ? kDefaultPageSize
                                 : std::min(request->page_size(), kMaxPageSize);
  uint32_t cursor = 0;
  for (bool done = false; !done;) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    ztgate::v1::ListFlowsResponse page;
    std::optional<bool> finished = parts_.control->Call(
        [&]() -> std::optional<bool> {
          return parts_.store->ListPage(*clients, &cursor, page_size, page);
        },
        std::optional<bool>());
    if (!finished) return Unavailable();
    done = *finished;
    if (page.flows_size() > 0 && !writer->Write(page)) return grpc::Status::CANCELLED;
  }
  return grpc::Status::OK;
}

grpc::Status FlowTableService::GetStats(grpc::ServerContext* /*context*/,
                                        const ztgate::v1::GetStatsRequest* /*request*/,
                                        ztgate::v1::GetStatsResponse* response) {
  CollectStats(*parts_.forwarder, parts_.store, exception_prefixes_.load(),
               audit_client_prefixes_.load(), absl::Now() - start_time_, *response);
  return grpc::Status::OK;
}

grpc::Status FlowTableService::ReplacePrefixList(
    const google::protobuf::RepeatedPtrField<ztgate::v1::Prefix>& wire, Exceptions& list,
    std::atomic<uint32_t>& size, const char* what, uint32_t* replaced) {
  absl::StatusOr<std::vector<IpPrefix>> prefixes = PrefixesFromProto(wire);
  if (!prefixes.ok()) return ToGrpc(prefixes.status());
  std::optional<absl::Status> status = parts_.control->Call(
      [&]() -> std::optional<absl::Status> { return list.Replace(*prefixes); },
      std::optional<absl::Status>());
  if (!status) return Unavailable();
  if (!status->ok()) return ToGrpc(*status);
  size.store(static_cast<uint32_t>(prefixes->size()));
  spdlog::info("{} replaced: {} prefixes", what, prefixes->size());
  *replaced = static_cast<uint32_t>(prefixes->size());
  return grpc::Status::OK;
}

grpc::Status FlowTableService::SetExceptions(grpc::ServerContext* /*context*/,
                                             const ztgate::v1::SetExceptionsRequest* request,
                                             ztgate::v1::SetExceptionsResponse* response) {
  uint32_t replaced = 0;
  grpc::Status status = ReplacePrefixList(request->prefixes(), *parts_.exceptions,
                                          exception_prefixes_, "exception list", &replaced);
  response->set_prefixes(replaced);
  return status;
}

grpc::Status FlowTableService::SetMode(grpc::ServerContext* /*context*/,
                                       const ztgate::v1::SetModeRequest* request,
                                       ztgate::v1::SetModeResponse* response) {
  EnforcementMode mode;
  switch (request->mode()) {
    case ztgate::v1::MODE_ENFORCE:
      mode = EnforcementMode::kEnforce;
      break;
    case ztgate::v1::MODE_AUDIT:
      mode = EnforcementMode::kAudit;
      break;
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "mode must be MODE_ENFORCE or MODE_AUDIT");
  }
  const EnforcementMode previous = parts_.forwarder->SetMode(mode);
  spdlog::info("mode set to {}", mode == EnforcementMode::kAudit ? "audit" : "enforce");
  response->set_previous(ToProto(previous));
  return grpc::Status::OK;
}

grpc::Status FlowTableService::SetAuditClients(grpc::ServerContext* /*context*/,
                                               const ztgate::v1::SetAuditClientsRequest* request,
                                               ztgate::v1::SetAuditClientsResponse* response) {
  uint32_t replaced = 0;
  grpc::Status status = ReplacePrefixList(request->clients(), *parts_.audit_clients,
                                          audit_client_prefixes_, "audit client list", &replaced);
  response->set_prefixes(replaced);
  return status;
}

grpc::Status FlowTableService::WatchDrops(grpc::ServerContext* context,
                                          const ztgate::v1::WatchDropsRequest* request,
                                          grpc::ServerWriter<ztgate::v1::WatchDropsResponse>* writer) {
  if (parts_.drop_hub == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "drop sampling is not running");
  }
  absl::StatusOr<std::vector<IpPrefix>> clients = PrefixesFromProto(request->clients());
  if (!clients.ok()) return ToGrpc(clients.status());
  std::shared_ptr<DropSubscription> subscription = parts_.drop_hub->Subscribe();
  const uint64_t now_tsc = rte_rdtsc();
  const absl::Time now_wall = absl::Now();
  grpc::Status result = grpc::Status::OK;
  while (!context->IsCancelled() && !shutting_down_.load()) {
    uint64_t lost = 0;
    std::vector<DropSample> samples = subscription->Wait(kWatchPollMs, &lost);
    if (samples.empty() && lost == 0) continue;
    ztgate::v1::WatchDropsResponse response;
    response.set_lost(lost);
    for (const DropSample& sample : samples) {
      if (!PrefixesContain(*clients, sample.client)) continue;
      ztgate::v1::DropEvent* event = response.add_drops();
      const double offset = (static_cast<double>(sample.tsc) - static_cast<double>(now_tsc)) /
                            static_cast<double>(parts_.ticks_per_second);
      const int64_t nanos = absl::ToUnixNanos(now_wall + absl::Seconds(offset));
      event->mutable_time()->set_seconds(nanos / 1'000'000'000);
      event->mutable_time()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
      if (sample.has_addresses) {
        event->set_client(AddressToProto(sample.client));
        event->set_destination(AddressToProto(sample.remote));
      }
      event->set_reason(std::string(kDropReasonInfo[sample.reason].name));
      event->set_audited(sample.audited != 0);
      event->set_ip_protocol(sample.ip_protocol);
      event->set_destination_port(sample.remote_port);
    }
    if (response.drops_size() == 0 && lost == 0) continue;
    if (!writer->Write(response)) break;
  }
  parts_.drop_hub->Unsubscribe(subscription);
  return result;
}

}  // namespace ztgate::dataplane
