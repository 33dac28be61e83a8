// The FlowTable gRPC service; see flowtable_service.h.
#include "dataplane/flowtable_service.h"

#include <rte_ethdev.h>

#include "dataplane/ports.h"

namespace ztgate::dataplane {
namespace {

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
void AddCounters(const ReasonInfo (&info)[N],
                 const std::vector<WorkerCounters>& workers,
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

}  // namespace

void CollectStats(const DataplaneConfig& config, const Forwarder& forwarder, ForwarderPorts ports,
                  absl::Duration uptime, ztgate::v1::GetStatsResponse& response) {
  AddPortStats("inside", ports.inside, response);
  AddPortStats("outside", ports.outside, response);
  AddCounters(kDropReasonInfo, forwarder.counters(), &WorkerCounters::drops,
              response.mutable_drops());
  AddCounters(kPassReasonInfo, forwarder.counters(), &WorkerCounters::passes,
              response.mutable_passes());
  AddCounters(kDropReasonInfo, forwarder.counters(), &WorkerCounters::audited,
              response.mutable_audited());
  response.set_flow_capacity(config.table_size);
  response.set_mode(config.mode == EnforcementMode::kAudit ? ztgate::v1::MODE_AUDIT
                                                           : ztgate::v1::MODE_ENFORCE);
  response.set_exception_prefixes(static_cast<uint32_t>(config.exceptions.size()));
  response.mutable_uptime()->set_seconds(absl::ToInt64Seconds(uptime));
}

FlowTableService::FlowTableService(const DataplaneConfig& config, const Forwarder& forwarder,
                                   ForwarderPorts ports)
    : config_(config), forwarder_(forwarder), ports_(ports) {}

grpc::Status FlowTableService::GetStats(grpc::ServerContext* /*context*/,
                                        const ztgate::v1::GetStatsRequest* /*request*/,
                                        ztgate::v1::GetStatsResponse* response) {
  CollectStats(config_, forwarder_, ports_, absl::Now() - start_time_, *response);
  return grpc::Status::OK;
}

}  // namespace ztgate::dataplane
