// Flow batch conversion; see flow_batch.h.
#include "controlplane/flow_batch.h"

#include "common/str_cat.h"

namespace ztgate::controlplane {

void FlowBatchBuilder::Add(const FlowToInstall& flow) {
  auto [it, inserted] =
      name_index_.try_emplace(flow.name, static_cast<uint32_t>(request_.names_size()));
  if (inserted) request_.add_names(flow.name);

  ztgate::v1::Flow* out = request_.add_flows();
  out->set_client(flow.client.ToBytes());
  out->set_destination(flow.destination.ToBytes());
  const int64_t nanos = absl::ToInt64Nanoseconds(flow.lifetime);
  out->mutable_lifetime()->set_seconds(nanos / 1'000'000'000);
  out->mutable_lifetime()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  out->set_name_index(it->second);
}

ztgate::v1::InstallFlowsRequest FlowBatchBuilder::Take(uint64_t batch_id) {
  ztgate::v1::InstallFlowsRequest request = std::move(request_);
  request.set_batch_id(batch_id);
  request_.Clear();
  name_index_.clear();
  return request;
}

absl::StatusOr<std::vector<FlowToInstall>> DecodeFlowBatch(
    const ztgate::v1::InstallFlowsRequest& request) {
  std::vector<FlowToInstall> flows;
  flows.reserve(request.flows_size());
  for (int i = 0; i < request.flows_size(); ++i) {
    const ztgate::v1::Flow& flow = request.flows(i);
    absl::StatusOr<IpAddress> client = IpAddress::FromBytes(flow.client());
    absl::StatusOr<IpAddress> destination = IpAddress::FromBytes(flow.destination());
    if (!client.ok() || !destination.ok()) {
      return absl::InvalidArgumentError(StrCat(
          "flow ", i, ": ", (!client.ok() ? client : destination).status().message()));
    }
    if (client->is_v4() != destination->is_v4()) {
      return absl::InvalidArgumentError(
          StrCat("flow ", i, ": client and destination are of different families"));
    }
    const absl::Duration lifetime =
        absl::Seconds(flow.lifetime().seconds()) + absl::Nanoseconds(flow.lifetime().nanos());
    if (lifetime <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(StrCat("flow ", i, ": lifetime must be positive"));
    }
    std::string name;
    if (request.names_size() > 0) {
      if (flow.name_index() >= static_cast<uint32_t>(request.names_size())) {
        return absl::InvalidArgumentError(StrCat("flow ", i, ": name_index ",
                                                       flow.name_index(), " is past the ",
                                                       request.names_size(), " names"));
      }
      name = request.names(static_cast<int>(flow.name_index()));
    }
    flows.push_back({*client, *destination, lifetime, std::move(name), nullptr});
  }
  return flows;
}

}  // namespace ztgate::controlplane
