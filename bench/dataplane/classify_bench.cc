// Micro benchmarks of the dataplane's packet path and allow-table writer, on
// an EAL started with --no-huge:
//   BM_Classify_Burst/<flows>/<family>   the classify step (parse, bulk
//       lookup, verdict) per burst of 32 frames drawn at random from the
//       installed flows; items are packets, so items/s gives ns per packet.
//   BM_Classify_ParseOnly/<flows>/<family>/<hot>   the parse step alone,
//   BM_Classify_LookupOnly/<flows>/<family>  the bulk rte_hash lookup alone
//       (keys prepared beforehand): the two floors of the classify step.
//   BM_FlowStore_Install/<flows>         InstallFlows batches of 1,000 new
//       flows into a table already holding <flows>; items are flows.
//   BM_Classify_WhileInstalling/<flows>  the classify step while another
//       thread installs and removes 1,000-flow batches without pause.
//   BM_AllowTable_Memory/<capacity>      memory per entry of a table of
//       exactly <capacity> entries.
#include <arpa/inet.h>

#include <atomic>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "dataplane/classifier.h"
#include "dataplane/flow_store.h"
#include "dataplane/forwarder.h"
#include "tests/dataplane/frame_builder.h"

namespace ztgate::dataplane {
namespace {

// Distinct frames the burst benchmarks cycle through. 8,192 frames of
// 2 KiB mbufs is 16 MiB, larger than the last-level cache, so frame data is
// not all cache-hot.
constexpr unsigned kFrameCount = 8192;

std::string FlowClient(uint32_t i, bool v6) {
  // Clients in 198.18.0.0/15 (or 2001:db8::/32), 64 destinations each.
  const uint32_t client = i / 64;
  char text[64];
  if (v6) {
    std::snprintf(text, sizeof(text), "2001:db8:%x:%x::1", client >> 16, client & 0xffff);
  } else {
    std::snprintf(text, sizeof(text), "198.%u.%u.%u", 18 + (client >> 16), (client >> 8) & 0xff,
                  client & 0xff);
  }
  return text;
}

std::string FlowDestination(uint32_t i, bool v6) {
  char text[64];
  if (v6) {
    std::snprintf(text, sizeof(text), "2001:db8:ffff:%x::%x", i >> 16, i & 0xffff);
  } else {
    std::snprintf(text, sizeof(text), "203.%u.%u.%u", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  }
  return text;
}

std::string RawAddress(const std::string& text, bool v6) {
  std::string bytes(v6 ? 16 : 4, '\0');
  inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), bytes.data());
  return bytes;
}

ztgate::v1::InstallFlowsRequest MakeBatch(uint32_t first, uint32_t count, bool v6) {
  ztgate::v1::InstallFlowsRequest request;
  request.add_names("bench.example.test");
  for (uint32_t i = first; i < first + count; ++i) {
    ztgate::v1::Flow* flow = request.add_flows();
    flow->set_client(RawAddress(FlowClient(i, v6), v6));
    flow->set_destination(RawAddress(FlowDestination(i, v6), v6));
    flow->mutable_lifetime()->set_seconds(3600);
  }
  return request;
}

// A table with `flows` installed flows of one family, and frames for a
// random sample of them.
class Fixture {
 public:
  Fixture(uint32_t flows, bool v6) {
    qsbr_ = std::move(*CreateQsbr(1));
    AllowTable::Options options;
    options.name = "bench_flows_" + std::to_string(next_id_++);
    // Room for the installed flows plus the install benchmark's batches.
    options.capacity = flows + (1 << 17);
    options.idle_ticks = rte_get_tsc_hz() * 300;
    absl::StatusOr<std::unique_ptr<AllowTable>> table = AllowTable::Create(options, qsbr_.get());
    if (!table.ok()) {
      std::fprintf(stderr, "%s\n", std::string(table.status().message()).c_str());
      std::abort();
    }
    table_ = std::move(*table);
    exceptions_ = std::make_unique<Exceptions>(qsbr_.get(), 0);
    store_ = std::make_unique<FlowStore>(*table_, [] { return rte_rdtsc(); }, rte_get_tsc_hz());
    for (uint32_t first = 0; first < flows; first += 1000) {
      store_->Install(MakeBatch(first, std::min(1000u, flows - first), v6));
    }
    installed_ = flows;
    pool_ = rte_pktmbuf_pool_create(("bench_pool_" + std::to_string(next_id_)).c_str(),
                                    kFrameCount + 64, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    std::mt19937 random(42);
    std::uniform_int_distribution<uint32_t> pick(0, flows - 1);
    for (unsigned i = 0; i < kFrameCount; ++i) {
      const uint32_t flow = pick(random);
      const testing::Bytes frame =
          v6 ? testing::Ipv6Frame(FlowClient(flow, true), FlowDestination(flow, true),
                                  testing::Udp(40000, 443, 0))
             : testing::Ipv4Frame(FlowClient(flow, false), FlowDestination(flow, false),
                                  testing::Udp(40000, 443, 0));
      rte_mbuf* mbuf = rte_pktmbuf_alloc(pool_);
      std::memcpy(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(frame.size())), frame.data(),
                  frame.size());
      frames_.push_back(mbuf);
    }
    pass_.arp = true;
  }

  ~Fixture() {
    for (rte_mbuf* mbuf : frames_) rte_pktmbuf_free(mbuf);
    rte_mempool_free(pool_);
  }

  ClassifyContext Context() const {
    return {table_.get(), exceptions_->Current(), &pass_, rte_rdtsc()};
  }
  rte_mbuf* const* Burst(unsigned index) const {
    return &frames_[(index * kBurstSize) % kFrameCount];
  }
  FlowStore& store() { return *store_; }
  rte_rcu_qsbr* qsbr() { return qsbr_.get(); }
  uint32_t installed() const { return installed_; }

 private:
  static inline int next_id_ = 0;
  QsbrPtr qsbr_;
  std::unique_ptr<AllowTable> table_;
  std::unique_ptr<Exceptions> exceptions_;
  std::unique_ptr<FlowStore> store_;
  rte_mempool* pool_ = nullptr;
  std::vector<rte_mbuf*> frames_;
  PassPolicy pass_;
  uint32_t installed_ = 0;
};

void ClassifyLoop(benchmark::State& state, Fixture& fixture) {
  ClassifyScratch scratch;
  Verdict verdicts[kBurstSize];
  unsigned burst = 0;
  uint64_t passed = 0;
  rte_rcu_qsbr_thread_register(fixture.qsbr(), 0);
  rte_rcu_qsbr_thread_online(fixture.qsbr(), 0);
  for (auto _ : state) {
    ClassifyBurst<true>(fixture.Context(), fixture.Burst(burst++), kBurstSize, scratch, verdicts);
    for (const Verdict& verdict : verdicts) passed += verdict.pass;
    rte_rcu_qsbr_quiescent(fixture.qsbr(), 0);
  }
  rte_rcu_qsbr_thread_offline(fixture.qsbr(), 0);
  rte_rcu_qsbr_thread_unregister(fixture.qsbr(), 0);
  if (passed != static_cast<uint64_t>(state.iterations()) * kBurstSize) {
    state.SkipWithError("a frame of an installed flow was dropped");
  }
  state.SetItemsProcessed(state.iterations() * kBurstSize);
}

void BM_Classify_Burst(benchmark::State& state) {
  Fixture fixture(static_cast<uint32_t>(state.range(0)), state.range(1) == 6);
  ClassifyLoop(state, fixture);
}

void BM_Classify_ParseOnly(benchmark::State& state) {
  Fixture fixture(static_cast<uint32_t>(state.range(0)), state.range(1) == 6);
  // hot:1 parses the same burst again and again, with its frames in L1,
  // as after a driver that has just copied them (net_pcap's replay).
  const bool hot = state.range(2) == 1;
  ClassifyScratch scratch;
  unsigned burst = 0;
  for (auto _ : state) {
    rte_mbuf* const* mbufs = fixture.Burst(hot ? 0 : burst++);
    for (uint16_t i = 0; i < kBurstSize; ++i) ParseMbuf(mbufs[i], scratch, scratch.frames[i]);
    benchmark::DoNotOptimize(scratch.frames);
  }
  state.SetItemsProcessed(state.iterations() * kBurstSize);
}

void BM_Classify_LookupOnly(benchmark::State& state) {
  Fixture fixture(static_cast<uint32_t>(state.range(0)), state.range(1) == 6);
  // The keys of every burst, parsed once outside the timed loop.
  ClassifyScratch scratch;
  std::vector<FlowKey> keys(kFrameCount);
  for (unsigned i = 0; i < kFrameCount; ++i) {
    ParseMbuf(fixture.Burst(0)[i], scratch, scratch.frames[0]);
    classifier_internal::MakeKey<true>(scratch.frames[0], keys[i]);
  }
  const FlowKey* pointers[kBurstSize];
  FlowEntry* entries[kBurstSize];
  const ClassifyContext context = fixture.Context();
  unsigned burst = 0;
  uint64_t found = 0;
  for (auto _ : state) {
    const FlowKey* first = &keys[(burst++ * kBurstSize) % kFrameCount];
    for (unsigned i = 0; i < kBurstSize; ++i) pointers[i] = first + i;
    context.table->LookupBulk(pointers, kBurstSize, entries);
    for (FlowEntry* entry : entries) found += entry != nullptr;
  }
  if (found != static_cast<uint64_t>(state.iterations()) * kBurstSize) {
    state.SkipWithError("an installed flow was not found");
  }
  state.SetItemsProcessed(state.iterations() * kBurstSize);
}

void BM_FlowStore_Install(benchmark::State& state) {
  Fixture fixture(static_cast<uint32_t>(state.range(0)), false);
  // Pre-build the batches, so the benchmark measures the table, not the
  // protobuf construction.
  std::vector<ztgate::v1::InstallFlowsRequest> batches;
  for (uint32_t i = 0; i < 64; ++i) batches.push_back(MakeBatch(fixture.installed() + i * 1000, 1000, false));
  std::vector<ztgate::v1::RemoveFlowsRequest> removals;
  for (const auto& batch : batches) {
    ztgate::v1::RemoveFlowsRequest remove;
    for (const auto& flow : batch.flows()) {
      ztgate::v1::FlowKey* key = remove.add_flows();
      key->set_client(flow.client());
      key->set_destination(flow.destination());
    }
    removals.push_back(std::move(remove));
  }
  size_t next = 0;
  for (auto _ : state) {
    const auto response = fixture.store().Install(batches[next]);
    if (response.installed() != 1000) state.SkipWithError("a batch was not installed whole");
    state.PauseTiming();
    (void)fixture.store().Remove(removals[next]);
    next = (next + 1) % batches.size();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}

void BM_Classify_WhileInstalling(benchmark::State& state) {
  Fixture fixture(static_cast<uint32_t>(state.range(0)), false);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> installed{0};
  std::thread writer([&] {
    for (uint32_t round = 0; !stop.load(); ++round) {
      const uint32_t first = fixture.installed() + (round % 64) * 1000;
      installed += fixture.store().Install(MakeBatch(first, 1000, false)).installed();
      ztgate::v1::RemoveFlowsRequest remove;
      ztgate::v1::InstallFlowsRequest batch = MakeBatch(first, 1000, false);
      for (const auto& flow : batch.flows()) {
        ztgate::v1::FlowKey* key = remove.add_flows();
        key->set_client(flow.client());
        key->set_destination(flow.destination());
      }
      (void)fixture.store().Remove(remove);
    }
  });
  ClassifyLoop(state, fixture);
  stop.store(true);
  writer.join();
  state.counters["flows_installed"] = static_cast<double>(installed.load());
}

// Memory of an empty table of exactly <capacity> entries: hash buckets,
// extendable buckets, key store, free rings and the entry array.
void BM_AllowTable_Memory(benchmark::State& state) {
  QsbrPtr qsbr = std::move(*CreateQsbr(1));
  AllowTable::Options options;
  options.capacity = static_cast<uint32_t>(state.range(0));
  static int next_id = 0;
  double bytes_per_flow = 0;
  for (auto _ : state) {
    options.name = "bench_memory_" + std::to_string(next_id++);
    absl::StatusOr<std::unique_ptr<AllowTable>> table = AllowTable::Create(options, qsbr.get());
    if (!table.ok()) {
      state.SkipWithError(std::string(table.status().message()).c_str());
      return;
    }
    bytes_per_flow = static_cast<double>((*table)->memory_bytes()) / options.capacity;
  }
  state.counters["bytes_per_flow"] = bytes_per_flow;
}

BENCHMARK(BM_AllowTable_Memory)->Arg(1 << 20)->Arg(4 << 20)->ArgName("capacity")->Iterations(1);
BENCHMARK(BM_Classify_Burst)
    ->ArgsProduct({{10'000, 1 << 20, 4 << 20}, {4, 6}})
    ->ArgNames({"flows", "ip"});
BENCHMARK(BM_Classify_ParseOnly)
    ->ArgsProduct({{10000}, {4}, {0, 1}})
    ->ArgNames({"flows", "ip", "hot"});
BENCHMARK(BM_Classify_LookupOnly)
    ->ArgsProduct({{10000, 1 << 20}, {4, 6}})
    ->ArgNames({"flows", "ip"});
BENCHMARK(BM_FlowStore_Install)->Arg(1 << 20)->ArgName("flows");
BENCHMARK(BM_Classify_WhileInstalling)->Arg(1 << 20)->ArgName("flows");

}  // namespace
}  // namespace ztgate::dataplane

int main(int argc, char** argv) {
  // 4M flows take about 0.5 GiB of table (see docs/BENCHMARKS.md), so the
  // EAL gets 1.5 GiB of ordinary memory.
  std::vector<std::string> eal_args = {"bench", "-l", "0", "--no-huge", "-m", "1536", "--no-pci",
                                       "--no-telemetry", "--log-level", "lib.eal:error",
                                       "--file-prefix=ztgate-bench-" + std::to_string(getpid())};
  std::vector<char*> eal_argv;
  for (std::string& arg : eal_args) eal_argv.push_back(arg.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rte_eal_cleanup();
  return 0;
}
