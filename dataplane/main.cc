// ztgate-dataplane: the default-deny bridge between an inside port (clients)
// and an outside port (the rest of the network).
//
//   ztgate-dataplane [EAL arguments] -- --inside PORT --outside PORT
//                    [--config FILE] [--log-level LEVEL] [--mbufs COUNT]
//
// The main lcore runs the control thread; every other lcore runs a worker
// with one receive and one transmit queue on each port.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/health_check_service_interface.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <spdlog/spdlog.h>

#include "absl/status/statusor.h"
#include "common/parse_number.h"
#include "common/str_cat.h"
#include "common/logging.h"
#include "dataplane/allow_table.h"
#include "dataplane/config.h"
#include "dataplane/control_thread.h"
#include "dataplane/drop_sampler.h"
#include "dataplane/exceptions.h"
#include "dataplane/flow_store.h"
#include "dataplane/flowtable_service.h"
#include "dataplane/forwarder.h"
#include "dataplane/ports.h"
#include "common/readiness.h"

namespace ztgate::dataplane {
namespace {

// Mbufs per worker: receive rings on both ports, plus bursts in flight and
// per-lcore mempool caches.
constexpr unsigned kMbufsPerWorker = 4096;
// Bounds of --mbufs: at least a few receive rings' worth, at most what fits
// a 32-bit mempool size with room to spare.
constexpr uint32_t kMinMbufs = 4096;
constexpr uint32_t kMaxMbufs = 1u << 24;
constexpr unsigned kMbufCacheSize = 256;

// How often the stopper thread checks for SIGINT or SIGTERM, and how long
// calls in flight get to finish once it has seen one.
constexpr auto kSignalPollInterval = std::chrono::milliseconds(50);
constexpr auto kShutdownGrace = std::chrono::seconds(2);

std::atomic<bool> g_stop_requested{false};

void HandleSignal(int /*signal*/) { g_stop_requested.store(true); }

struct AppArguments {
  std::string inside;
  std::string outside;
  std::string config_path{kDefaultConfigPath};
  std::string log_level;
  std::string mbufs;
};

constexpr char kUsage[] =
    "usage: ztgate-dataplane [EAL arguments] -- --inside PORT --outside PORT "
    "[--config FILE] [--log-level LEVEL] [--mbufs COUNT]\n"
    "  --inside PORT     port facing the clients (device name or number)\n"
    "  --outside PORT    port facing the rest of the network\n"
    "  --config FILE     configuration file (default /etc/ztgate/dataplane.yaml)\n"
    "  --log-level LEVEL trace, debug, info, warn or error (overrides the config)\n"
    "  --mbufs COUNT     packet buffers in the pool (default 8192 per worker); a\n"
    "                    net_pcap port with infinite_rx=1 needs one per frame of its file\n";

absl::StatusOr<AppArguments> ParseArguments(int argc, char** argv) {
  AppArguments args;
  for (int i = 0; i < argc; ++i) {
    const std::string flag = argv[i];
    std::string* target = nullptr;
    if (flag == "--inside") target = &args.inside;
    else if (flag == "--outside") target = &args.outside;
    else if (flag == "--config") target = &args.config_path;
    else if (flag == "--log-level") target = &args.log_level;
    else if (flag == "--mbufs") target = &args.mbufs;
    else return absl::InvalidArgumentError(StrCat("unknown option ", flag));
    if (i + 1 >= argc) return absl::InvalidArgumentError(StrCat(flag, " needs a value"));
    *target = argv[++i];
  }
  if (args.inside.empty() || args.outside.empty()) {
    return absl::InvalidArgumentError("--inside and --outside are required");
  }
  uint32_t mbufs = 0;
  if (!args.mbufs.empty() &&
      (!ParseDecimal(args.mbufs, &mbufs) || mbufs < kMinMbufs || mbufs > kMaxMbufs)) {
    return absl::InvalidArgumentError(StrCat("invalid --mbufs \"", args.mbufs, "\": expected ",
                                             kMinMbufs, "-", kMaxMbufs));
  }
  return args;
}

int LaunchWorker(void* arg) {
  auto* forwarder = static_cast<Forwarder*>(arg);
  const unsigned index = rte_lcore_index(rte_lcore_id()) - 1;
  forwarder->Run(index);
  return 0;
}

void PrintCounters(const Forwarder& forwarder, const FlowStore& store) {
  ztgate::v1::GetStatsResponse stats;
  CollectStats(forwarder, &store, 0, 0, absl::ZeroDuration(), stats);
  std::printf("flows %lu of %lu, install_rejected_full %lu\n", stats.flows(),
              stats.flow_capacity(), stats.install_rejected_full());
  for (const auto& port : stats.ports()) {
    std::printf("port %-8s rx %10lu  tx %10lu  rx_missed %lu  tx_failed %lu\n",
                port.name().c_str(), port.rx_packets(), port.tx_packets(), port.rx_missed(),
                port.tx_failed());
  }
  for (const auto& counter : stats.passes()) {
    std::printf("pass %-12s %10lu  %s\n", counter.name().c_str(), counter.value(),
                counter.description().c_str());
  }
  for (const auto& counter : stats.drops()) {
    std::printf("drop %-12s %10lu  %s\n", counter.name().c_str(), counter.value(),
                counter.description().c_str());
  }
  for (const auto& counter : stats.audited()) {
    if (counter.value() == 0) continue;
    std::printf("audited %-9s %10lu  %s\n", counter.name().c_str(), counter.value(),
                counter.description().c_str());
  }
  std::fflush(stdout);
}

// The table, exception list and sampler the workers read, built before the
// workers start.
struct TableParts {
  QsbrPtr qsbr;
  std::unique_ptr<AllowTable> table;
  std::unique_ptr<Exceptions> exceptions;
  std::unique_ptr<Exceptions> audit_clients;  // Empty until SetAuditClients.
  std::unique_ptr<DropSampler> sampler;
};

absl::StatusOr<TableParts> BuildTableParts(const DataplaneConfig& config, unsigned workers) {
  TableParts parts;
  absl::StatusOr<QsbrPtr> qsbr = CreateQsbr(workers);
  if (!qsbr.ok()) return qsbr.status();
  parts.qsbr = std::move(*qsbr);

  AllowTable::Options options;
  options.capacity = config.table_size;
  options.idle_ticks = static_cast<uint64_t>(absl::ToDoubleSeconds(config.idle_timeout) *
                                             static_cast<double>(rte_get_tsc_hz()));
  options.socket_id = static_cast<int>(rte_socket_id());
  absl::StatusOr<std::unique_ptr<AllowTable>> table =
      AllowTable::Create(options, parts.qsbr.get());
  if (!table.ok()) return table.status();
  parts.table = std::move(*table);
  spdlog::info("allow table: {} entries, {} MiB, {:.1f} bytes per entry", config.table_size,
               parts.table->memory_bytes() >> 20,
               static_cast<double>(parts.table->memory_bytes()) / config.table_size);

  parts.exceptions = std::make_unique<Exceptions>(parts.qsbr.get(), options.socket_id);
  if (absl::Status status = parts.exceptions->Replace(config.exceptions); !status.ok()) {
    return status;
  }
  parts.audit_clients = std::make_unique<Exceptions>(parts.qsbr.get(), options.socket_id);
  absl::StatusOr<std::unique_ptr<DropSampler>> sampler = DropSampler::Create(workers);
  if (!sampler.ok()) return sampler.status();
  parts.sampler = std::move(*sampler);
  return parts;
}

int RunDataplane(const AppArguments& args, const DataplaneConfig& config) {
  const unsigned workers = rte_lcore_count() - 1;
  if (workers == 0) {
    spdlog::error("no worker lcore: give the EAL at least two lcores, for example -l 0,1");
    return 1;
  }
  absl::StatusOr<uint16_t> inside = ResolvePort(args.inside);
  absl::StatusOr<uint16_t> outside = ResolvePort(args.outside);
  for (const auto* port : {&inside, &outside}) {
    if (!port->ok()) {
      spdlog::error("{}", port->status().message());
      return 1;
    }
  }
  if (*inside == *outside) {
    spdlog::error("--inside and --outside name the same port {}", *inside);
    return 1;
  }
  absl::StatusOr<TableParts> parts = BuildTableParts(config, workers);
  if (!parts.ok()) {
    spdlog::error("{}", parts.status().message());
    return 1;
  }
  uint32_t mbufs = kMbufsPerWorker * workers * 2;
  if (!args.mbufs.empty()) ParseDecimal(args.mbufs, &mbufs);
  rte_mempool* pool = rte_pktmbuf_pool_create("ztgate_mbufs", mbufs,
                                              kMbufCacheSize, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                              static_cast<int>(rte_socket_id()));
  if (pool == nullptr) {
    spdlog::error("cannot create the mbuf pool: {}", rte_strerror(rte_errno));
    return 1;
  }
  const ForwarderPorts ports{*inside, *outside};
  for (uint16_t port : {ports.inside, ports.outside}) {
    if (absl::Status status = StartPort(port, static_cast<uint16_t>(workers), pool);
        !status.ok()) {
      spdlog::error("{}", status.message());
      return 1;
    }
  }

  ForwarderShared shared{parts->table.get(), parts->exceptions.get(), parts->qsbr.get(),
                         parts->sampler.get(), PassPolicyFromConfig(config),
                         parts->audit_clients.get()};
  Forwarder forwarder(ports, workers, std::move(shared), config.mode);
  FlowStore store(*parts->table, [] { return rte_rdtsc(); }, rte_get_tsc_hz());
  ControlThread control(store, config.sweep_interval);
  DropHub drop_hub(*parts->sampler);
  FlowTableService service({&forwarder, &store, &control, parts->exceptions.get(),
                            parts->audit_clients.get(), &drop_hub, rte_get_tsc_hz(),
                            static_cast<uint32_t>(config.exceptions.size())});
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  if (absl::Status status = AddGrpcListeners(config.api, builder); !status.ok()) {
    spdlog::error("{}", status.message());
    return 1;
  }
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    spdlog::error("cannot start the API server on {}", config.api.unix_socket);
    return 1;
  }
  if (absl::Status status = RestrictUnixSocket(config.api); !status.ok()) {
    spdlog::error("{}", status.message());
    return 1;
  }

  rte_eal_mp_remote_launch(LaunchWorker, &forwarder, SKIP_MAIN);
  server->GetHealthCheckService()->SetServingStatus(true);
  ztgate::NotifyReady();
  spdlog::info("ready: bridging {} (inside) and {} (outside) with {} worker(s), API on {}",
               PortName(ports.inside), PortName(ports.outside), workers, config.api.unix_socket);

  // The main lcore runs the control thread. The stopper thread waits for a
  // signal and shuts the API down before it stops the control thread, so
  // calls in flight still reach it.
  std::thread stopper([&] {
    while (!g_stop_requested.load()) std::this_thread::sleep_for(kSignalPollInterval);
    spdlog::info("stopping");
    ztgate::NotifyStopping();
    server->GetHealthCheckService()->SetServingStatus(false);
    service.Shutdown();
    server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
    control.Stop();
  });
  control.Run();
  stopper.join();

  forwarder.Stop();
  rte_eal_mp_wait_lcore();
  PrintCounters(forwarder, store);
  for (uint16_t port : {ports.inside, ports.outside}) StopPort(port);
  return 0;
}

}  // namespace
}  // namespace ztgate::dataplane

namespace ztgate::dataplane {
namespace {

// Releases the EAL and removes its runtime directory (/var/run/dpdk/PREFIX),
// which DPDK 22.11 leaves behind; on Debian /run is in memory, so each run
// would otherwise keep several megabytes until reboot.
void CleanupEal() {
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code error;
  std::filesystem::remove_all(runtime_dir, error);
}

}  // namespace
}  // namespace ztgate::dataplane

int main(int argc, char** argv) {
  using namespace ztgate::dataplane;
  const int consumed = rte_eal_init(argc, argv);
  if (consumed < 0) {
    std::fprintf(stderr, "ztgate-dataplane: EAL initialization failed: %s\n%s",
                 rte_strerror(rte_errno), kUsage);
    return 1;
  }
  absl::StatusOr<AppArguments> args = ParseArguments(argc - consumed - 1, argv + consumed + 1);
  if (!args.ok()) {
    std::fprintf(stderr, "ztgate-dataplane: %s\n%s", std::string(args.status().message()).c_str(),
                 kUsage);
    CleanupEal();
    return 2;
  }
  absl::StatusOr<DataplaneConfig> config = LoadDataplaneConfig(args->config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "ztgate-dataplane: %s\n", std::string(config.status().message()).c_str());
    CleanupEal();
    return 2;
  }
  if (!args->log_level.empty()) config->log_level = args->log_level;
  if (absl::Status status = ztgate::InitLogging("ztgate-dataplane", config->log_level);
      !status.ok()) {
    std::fprintf(stderr, "ztgate-dataplane: %s\n", std::string(status.message()).c_str());
    CleanupEal();
    return 2;
  }
  std::signal(SIGINT, HandleSignal);
  std::signal(SIGTERM, HandleSignal);
  const int rc = RunDataplane(*args, *config);
  CleanupEal();
  return rc;
}
