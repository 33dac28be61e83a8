// Cost of encoding and decoding InstallFlows batches of 1,000 flows, the
// batch size the control plane sends, in flows per second.
#include <benchmark/benchmark.h>

#include "controlplane/flow_batch.h"

namespace ztgate::controlplane {
namespace {

std::vector<FlowToInstall> MakeFlows(int count) {
  std::vector<FlowToInstall> flows;
  for (int i = 0; i < count; ++i) {
    flows.push_back({IpAddress::FromV4({198, 18, 0, 1}),
                     IpAddress::FromV4({198, 19, static_cast<uint8_t>(i >> 8),
                                        static_cast<uint8_t>(i)}),
                     absl::Seconds(60), i % 2 ? "www.corp.lab" : "cdn.corp.lab", nullptr});
  }
  return flows;
}

void BM_FlowBatch_Encode(benchmark::State& state) {
  const std::vector<FlowToInstall> flows = MakeFlows(static_cast<int>(state.range(0)));
  FlowBatchBuilder builder;
  uint64_t batch_id = 0;
  for (auto _ : state) {
    for (const FlowToInstall& flow : flows) builder.Add(flow);
    std::string wire = builder.Take(++batch_id).SerializeAsString();
    benchmark::DoNotOptimize(wire);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FlowBatch_Encode)->Arg(1000);

void BM_FlowBatch_Decode(benchmark::State& state) {
  FlowBatchBuilder builder;
  for (const FlowToInstall& flow : MakeFlows(static_cast<int>(state.range(0)))) builder.Add(flow);
  const std::string wire = builder.Take(1).SerializeAsString();
  for (auto _ : state) {
    ztgate::v1::InstallFlowsRequest request;
    request.ParseFromString(wire);
    auto flows = DecodeFlowBatch(request);
    benchmark::DoNotOptimize(flows);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FlowBatch_Decode)->Arg(1000);

}  // namespace
}  // namespace ztgate::controlplane
