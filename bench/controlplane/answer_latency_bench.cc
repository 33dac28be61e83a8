// Answer latency that install before release adds, measured on the whole
// daemon: one ztgate-control binary started twice against the same unbound
// upstream, once with a ztgate-dataplane (ring vdevs, --no-huge) configured
// over its Unix socket and once with no dataplane, so it installs nothing.
//
// Unbound serves a static bench.lab zone of --names names, n<i>.bench.lab,
// each with its own A record in 198.18.0.0/15, so every measured answer
// carries a (client, address) pair the dataplane has not seen and needs a
// fresh InstallFlows round trip. A warm-up pass from client 127.0.0.2 fills
// both instances' answer caches, so every measured query is a cache hit
// (checked through GetControlStats) and the only difference between the
// instances is the install step.
//
// Each measuring thread holds one persistent DoT connection to each instance
// and sends name i to the instance without install, then to the instance
// with install, one query in flight, timing each with a steady clock. The
// interleaving gives both instances about the same CPU contention. The
// sequential phase uses one thread (client 127.0.0.1), and the concurrent
// phase uses --connections threads (client 127.0.0.3).
//
// The dataplane's worker lcore busy-polls CPU 1 (EAL -l 0,1). The benchmark
// binds itself to the other CPUs, and the daemons and unbound it starts
// inherit that, as a gateway keeps its control plane off the worker cores.
// The dataplane's EAL sets its own threads' CPUs. Without the binding, a
// daemon thread woken on CPU 1 waits behind the worker and shows up in
// the p99.
//
//   bench_answer_latency [--names N] [--connections N]
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include "common/ip_address.h"
#include "common/parse_number.h"
#include "common/str_cat.h"
#include "tests/resolver/transport/dot_test_client.h"
#include "tests/resolver/transport/test_dns.h"
#include "tests/resolver/transport/test_pki.h"
#include "tests/resolver/transport/unbound_process.h"
#include "tests/support/daemon_process.h"
#include "ztgate/v1/flowtable.grpc.pb.h"
#include "ztgate/v1/policy.grpc.pb.h"

namespace ztgate::controlplane {
namespace {

using Clock = std::chrono::steady_clock;
using resolver::transport::testing::DotClientOptions;
using resolver::transport::testing::DotTestClient;
using resolver::transport::testing::TestPki;
using ztgate::testing::DaemonProcess;

constexpr absl::Duration kStartTimeout = absl::Seconds(60);
// Time from the start of Run(), set-up included, after which the query
// phases stop early with fewer samples. Teardown adds up to 10 s per daemon
// that ignores SIGTERM, so a healthy run ends well within two minutes.
constexpr auto kRunBudget = std::chrono::seconds(105);
constexpr char kWarmClient[] = "127.0.0.2";
constexpr char kSequentialClient[] = "127.0.0.1";
constexpr char kConcurrentClient[] = "127.0.0.3";

struct Options {
  uint32_t names = 20000;
  uint32_t connections = 16;
};

std::string BenchName(uint32_t i) { return StrCat("n", i, ".bench.lab"); }

// 198.18.0.0 + i, inside 198.18.0.0/15 for i below 131072.
std::string BenchAddress(uint32_t i) {
  return StrCat(198, ".", 18 + (i >> 16), ".", (i >> 8) & 0xff, ".", i & 0xff);
}

std::string UnboundConfig(const std::string& dir, uint16_t port, const TestPki& pki,
                          uint32_t names) {
  std::string config = StrCat(R"(server:
  interface: 127.0.0.1@)", port, R"(
  tls-port: )", port, R"(
  tls-service-pem: ")", pki.server.certificate, R"("
  tls-service-key: ")", pki.server.key, R"("
  do-ip6: no
  do-daemonize: no
  chroot: ""
  username: ""
  directory: ")", dir, R"("
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  num-threads: 1
  incoming-num-tcp: 100
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  # Every name outside bench.lab is refused, so unbound sends no query.
  outgoing-interface: 127.0.0.1
  local-zone: "." refuse
  local-zone: "bench.lab." static
  local-data: "bench.lab. 3600 IN SOA ns.bench.lab. admin.bench.lab. 1 3600 600 86400 300"
)");
  for (uint32_t i = 0; i < names; ++i) {
    config += StrCat("  local-data: \"", BenchName(i), ". 3600 IN A ", BenchAddress(i), "\"\n");
  }
  config += "remote-control:\n  control-enable: no\n";
  return config;
}

// A ztgate-control config; `dataplane_socket` empty means no dataplanes.
std::string ControlConfig(uint16_t dot_port, uint16_t upstream_port, const TestPki& pki,
                          const std::string& dataplane_socket, const std::string& api_socket) {
  std::string config = StrCat(R"(listen:
  dot: ["127.0.0.1:)", dot_port, R"("]
tls:
  certificate: )", pki.server.certificate, R"(
  key: )", pki.server.key, R"(
upstreams:
  - address: 127.0.0.1:)", upstream_port, R"(
    tls_name: dot.lab
    ca_file: )", pki.ca_certificate, R"(
policy:
  groups:
    - name: bench
      clients: [127.0.0.0/8]
      allow: ["*.bench.lab"]
api:
  unix_socket: )", api_socket, R"(
log_level: warn
)");
  if (!dataplane_socket.empty()) {
    config += StrCat("dataplanes:\n  - target: unix:", dataplane_socket,
                     "\ninstall:\n  ack_timeout: 1s\n");
  }
  return config;
}

absl::Status StartUnbound(const std::filesystem::path& dir, const TestPki& pki, uint32_t names,
                          DaemonProcess& unbound, uint16_t& port) {
  port = resolver::transport::testing::FreePort();
  std::ofstream(dir / "unbound.conf") << UnboundConfig(dir.string(), port, pki, names);
  absl::Status started = unbound.Start(
      {"/usr/sbin/unbound", "-d", "-c", (dir / "unbound.conf").string()}, dir / "unbound.log");
  if (!started.ok()) return started;
  // Unbound reads the whole zone before it opens its port.
  return resolver::transport::testing::WaitForPort(port, std::chrono::seconds(30));
}

absl::Status StartDataplane(const std::filesystem::path& dir, DaemonProcess& dataplane,
                            std::string& socket) {
  socket = (dir / "dataplane.sock").string();
  std::ofstream(dir / "dataplane.yaml")
      << "table:\n  size: 1048576\napi:\n  unix_socket: " << socket << "\n";
  absl::Status started = dataplane.Start(
      {ZTGATE_DATAPLANE_BINARY, "-l", "0,1", "--no-huge", "-m", "1024", "--no-pci",
       "--no-telemetry", "--file-prefix=" + ztgate::testing::UniqueFilePrefix("answer-bench"),
       "--vdev=net_ring0", "--vdev=net_ring1", "--", "--inside", "net_ring0", "--outside",
       "net_ring1", "--config", (dir / "dataplane.yaml").string()},
      dir / "dataplane.log");
  if (!started.ok()) return started;
  return dataplane.WaitServing("unix:" + socket, kStartTimeout);
}

std::string ApiSocket(const std::filesystem::path& dir, const std::string& tag) {
  return (dir / (tag + ".sock")).string();
}

// Starts ztgate-control named `tag` and returns its DoT port.
absl::StatusOr<uint16_t> StartControl(const std::filesystem::path& dir, const std::string& tag,
                                      uint16_t upstream_port, const TestPki& pki,
                                      const std::string& dataplane_socket,
                                      DaemonProcess& control) {
  const uint16_t dot_port = resolver::transport::testing::FreePort();
  const std::string api_socket = ApiSocket(dir, tag);
  const std::filesystem::path config = dir / (tag + ".yaml");
  std::ofstream(config) << ControlConfig(dot_port, upstream_port, pki, dataplane_socket,
                                         api_socket);
  absl::Status started =
      control.Start({ZTGATE_CONTROL_BINARY, "--config", config.string()}, dir / (tag + ".log"));
  if (started.ok()) started = control.WaitServing("unix:" + api_socket, kStartTimeout);
  if (!started.ok()) return started;
  return dot_port;
}

// Per-query latencies of both instances, in nanoseconds, paired by index.
struct Samples {
  std::vector<int64_t> without_install;
  std::vector<int64_t> with_install;
  uint32_t errors = 0;
};

// Sends one query and checks that the answer carries the name's address.
absl::StatusOr<int64_t> TimeQuery(DotTestClient& client, uint32_t i) {
  const uint16_t id = static_cast<uint16_t>(i);
  const std::string query = resolver::transport::testing::BuildQuery(
      id, BenchName(i), resolver::transport::testing::kTypeA);
  const Clock::time_point start = Clock::now();
  if (absl::Status sent = client.Send(query); !sent.ok()) return sent;
  absl::StatusOr<std::string> response = client.Receive();
  const Clock::time_point end = Clock::now();
  if (!response.ok()) return response.status();

  const auto parsed = resolver::transport::testing::ParseResponse(*response);
  const std::string expected = BenchAddress(i);
  if (!parsed || parsed->id != id || parsed->rcode != 0 ||
      std::find(parsed->addresses.begin(), parsed->addresses.end(), expected) ==
          parsed->addresses.end()) {
    return absl::InternalError(StrCat("response for ", BenchName(i), " is not NOERROR with A ",
                                      expected, " and the query's ID"));
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
}

struct Endpoints {
  uint16_t without_install_port = 0;
  uint16_t with_install_port = 0;
  std::string ca_file;
};

// Queries names i = first, first + stride, ... on both instances from
// `source`, alternating, until the names or the time budget run out.
void QueryNames(const Endpoints& endpoints, const std::string& source, uint32_t first,
                uint32_t stride, uint32_t names, Clock::time_point deadline, Samples& samples) {
  DotClientOptions options;
  options.source_address = source;
  options.ca_file = endpoints.ca_file;
  options.port = endpoints.without_install_port;
  auto without_install = DotTestClient::Connect(options);
  options.port = endpoints.with_install_port;
  auto with_install = DotTestClient::Connect(options);
  if (!without_install.ok() || !with_install.ok()) {
    std::fprintf(stderr, "DoT connect from %s failed: %s %s\n", source.c_str(),
                 without_install.status().ToString().c_str(),
                 with_install.status().ToString().c_str());
    ++samples.errors;
    return;
  }
  for (uint32_t i = first; i < names && Clock::now() < deadline; i += stride) {
    absl::StatusOr<int64_t> plain = TimeQuery(**without_install, i);
    absl::StatusOr<int64_t> installed = TimeQuery(**with_install, i);
    if (!plain.ok() || !installed.ok()) {
      if (samples.errors++ == 0) {
        std::fprintf(stderr, "query %s failed: %s %s\n", BenchName(i).c_str(),
                     plain.status().ToString().c_str(), installed.status().ToString().c_str());
      }
      continue;
    }
    samples.without_install.push_back(*plain);
    samples.with_install.push_back(*installed);
  }
}

// Runs QueryNames on `threads` threads, each with its own connections, and
// merges their samples.
Samples QueryAllNames(const Endpoints& endpoints, const std::string& source, uint32_t names,
                      uint32_t threads, Clock::time_point deadline) {
  std::vector<Samples> per_thread(threads);
  std::vector<std::thread> workers;
  for (uint32_t t = 0; t < threads; ++t) {
    workers.emplace_back(QueryNames, std::cref(endpoints), std::cref(source), t, threads, names,
                         deadline, std::ref(per_thread[t]));
  }
  for (std::thread& worker : workers) worker.join();

  Samples merged;
  for (const Samples& part : per_thread) {
    merged.without_install.insert(merged.without_install.end(), part.without_install.begin(),
                                  part.without_install.end());
    merged.with_install.insert(merged.with_install.end(), part.with_install.begin(),
                               part.with_install.end());
    merged.errors += part.errors;
  }
  return merged;
}

// Returns the nearest-rank percentile `q` of `values`, in microseconds.
double PercentileMicros(std::vector<int64_t> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(q * static_cast<double>(values.size() - 1));
  return static_cast<double>(values[rank]) / 1000.0;
}

void PrintPhase(const std::string& title, const Samples& samples) {
  std::vector<int64_t> paired;
  for (size_t i = 0; i < samples.with_install.size(); ++i) {
    paired.push_back(samples.with_install[i] - samples.without_install[i]);
  }
  const double p50_without = PercentileMicros(samples.without_install, 0.50);
  const double p99_without = PercentileMicros(samples.without_install, 0.99);
  const double p50_with = PercentileMicros(samples.with_install, 0.50);
  const double p99_with = PercentileMicros(samples.with_install, 0.99);
  std::printf("%s: %zu answers per instance, %u errors\n", title.c_str(),
              samples.with_install.size(), samples.errors);
  std::printf("  without install: p50 %.1f us, p99 %.1f us\n", p50_without, p99_without);
  std::printf("  with install:    p50 %.1f us, p99 %.1f us\n", p50_with, p99_with);
  std::printf("  added (p with - p without): p50 %.1f us, p99 %.1f us; ratio p50 %.2f, p99 %.2f\n",
              p50_with - p50_without, p99_with - p99_without,
              p50_without > 0 ? p50_with / p50_without : 0,
              p99_without > 0 ? p99_with / p99_without : 0);
  std::printf("  added per name (paired difference): p50 %.1f us, p99 %.1f us\n",
              PercentileMicros(paired, 0.50), PercentileMicros(paired, 0.99));
}

// Counts the flows the dataplane holds for `client`.
size_t CountFlows(const std::string& dataplane_socket, const std::string& client) {
  auto stub = ztgate::v1::FlowTable::NewStub(
      grpc::CreateChannel("unix:" + dataplane_socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  ztgate::v1::ListFlowsRequest request;
  ztgate::v1::Prefix* prefix = request.add_clients();
  prefix->set_address(IpAddress::Parse(client)->ToBytes());
  prefix->set_prefix_length(32);
  auto reader = stub->ListFlows(&context, request);
  size_t count = 0;
  ztgate::v1::ListFlowsResponse page;
  while (reader->Read(&page)) count += static_cast<size_t>(page.flows_size());
  if (!reader->Finish().ok()) return 0;
  return count;
}

// Returns the cache misses both ztgate-control instances counted so far,
// or -1 when a GetControlStats call failed.
int64_t CacheMisses(const std::vector<std::string>& api_sockets) {
  int64_t total = 0;
  for (const std::string& api_socket : api_sockets) {
    auto stub = ztgate::v1::Policy::NewStub(
        grpc::CreateChannel("unix:" + api_socket, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    ztgate::v1::GetControlStatsResponse stats;
    if (!stub->GetControlStats(&context, {}, &stats).ok()) return -1;
    total += static_cast<int64_t>(stats.cache_misses());
  }
  return total;
}

// Prints the install instance's own view of each dataplane link: the
// latency from queueing a batch to its acknowledgement. It covers the whole
// run, warm-up and concurrent phase included, so it does not compare
// directly with the sequential figures.
void PrintLinkLatency(const std::string& api_socket) {
  auto stub = ztgate::v1::Policy::NewStub(
      grpc::CreateChannel("unix:" + api_socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  ztgate::v1::GetControlStatsResponse stats;
  if (!stub->GetControlStats(&context, {}, &stats).ok()) return;
  for (const ztgate::v1::DataplaneStatus& link : stats.dataplanes()) {
    std::printf("install link (queued to acknowledged, whole run): p50 %lld us, p99 %lld us, "
                "%llu batches\n",
                static_cast<long long>(
                    google::protobuf::util::TimeUtil::DurationToMicroseconds(
                        link.install_latency_p50())),
                static_cast<long long>(
                    google::protobuf::util::TimeUtil::DurationToMicroseconds(
                        link.install_latency_p99())),
                static_cast<unsigned long long>(link.batches_sent()));
  }
}

int Fail(const std::string& step, const absl::Status& status) {
  std::fprintf(stderr, "bench_answer_latency: %s failed: %s\n", step.c_str(),
               status.ToString().c_str());
  return 1;
}

int Run(const Options& options) {
  const Clock::time_point deadline = Clock::now() + kRunBudget;
  // Declared first, so it is removed after every process below has stopped.
  ztgate::testing::TempDir dir("ztgate-answer-bench");
  absl::StatusOr<TestPki> pki = resolver::transport::testing::GenerateTestPki(dir.path().string());
  if (!pki.ok()) return Fail("generating the test PKI", pki.status());

  DaemonProcess unbound;
  uint16_t upstream_port = 0;
  absl::Status status = StartUnbound(dir.path(), *pki, options.names, unbound, upstream_port);
  if (!status.ok()) return Fail("starting unbound", status);
  DaemonProcess dataplane;
  std::string dataplane_socket;
  status = StartDataplane(dir.path(), dataplane, dataplane_socket);
  if (!status.ok()) return Fail("starting ztgate-dataplane", status);

  DaemonProcess plain_control;
  DaemonProcess install_control;
  Endpoints endpoints;
  endpoints.ca_file = pki->ca_certificate;
  absl::StatusOr<uint16_t> port =
      StartControl(dir.path(), "control-plain", upstream_port, *pki, "", plain_control);
  if (!port.ok()) return Fail("starting ztgate-control without a dataplane", port.status());
  endpoints.without_install_port = *port;
  port = StartControl(dir.path(), "control-install", upstream_port, *pki, dataplane_socket,
                      install_control);
  if (!port.ok()) return Fail("starting ztgate-control with a dataplane", port.status());
  endpoints.with_install_port = *port;

  const Samples warm =
      QueryAllNames(endpoints, kWarmClient, options.names, options.connections, deadline);
  std::printf("warm-up from %s: %zu names per instance, %u errors\n", kWarmClient,
              warm.with_install.size(), warm.errors);

  const std::vector<std::string> api_sockets = {ApiSocket(dir.path(), "control-plain"),
                                                 ApiSocket(dir.path(), "control-install")};
  const int64_t misses_before = CacheMisses(api_sockets);
  const Samples sequential =
      QueryAllNames(endpoints, kSequentialClient, options.names, 1, deadline);
  PrintPhase(StrCat("sequential, 1 connection per instance, client ", kSequentialClient),
             sequential);
  const Samples concurrent = QueryAllNames(endpoints, kConcurrentClient, options.names,
                                           options.connections, deadline);
  PrintPhase(StrCat("concurrent, ", options.connections, " connections per instance, client ",
                    kConcurrentClient),
             concurrent);

  // Measured queries must all be cache hits, so the instances differ only
  // in the install step.
  const int64_t misses_after = CacheMisses(api_sockets);
  std::printf("cache misses during the measured phases: %lld\n",
              static_cast<long long>(misses_after - misses_before));
  PrintLinkLatency(api_sockets[1]);

  // Every measured answer must have installed its own flow.
  const size_t installed = CountFlows(dataplane_socket, kSequentialClient);
  std::printf("dataplane flows for %s: %zu (expected %zu)\n", kSequentialClient, installed,
              sequential.with_install.size());
  const bool complete = warm.errors == 0 && sequential.errors == 0 && concurrent.errors == 0 &&
                        installed == sequential.with_install.size() && misses_before >= 0 &&
                        misses_after == misses_before;
  return complete ? 0 : 1;
}

}  // namespace
}  // namespace ztgate::controlplane

namespace {

// The CPU that the dataplane's worker lcore busy-polls ("-l 0,1" above).
constexpr int kWorkerCpu = 1;

// Binds this process, and the processes it starts later, to every CPU
// but the worker's. Returns false when that leaves no CPU.
bool AvoidWorkerCpu() {
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) return false;
  CPU_CLR(kWorkerCpu, &cpus);
  if (CPU_COUNT(&cpus) == 0) return false;
  return sched_setaffinity(0, sizeof(cpus), &cpus) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  ztgate::controlplane::Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    uint32_t* target = flag == "--names"         ? &options.names
                       : flag == "--connections" ? &options.connections
                                                 : nullptr;
    if (target == nullptr || !ztgate::ParseDecimal(argv[i + 1], target)) {
      std::fprintf(stderr, "usage: bench_answer_latency [--names N] [--connections N]\n");
      return 2;
    }
  }
  if (argc % 2 == 0 || options.names == 0 || options.names > 131072 || options.connections == 0) {
    std::fprintf(stderr,
                 "usage: bench_answer_latency [--names N] [--connections N]\n"
                 "  --names: 1 to 131072 names in bench.lab (default 20000)\n"
                 "  --connections: DoT connections per instance in the concurrent phase "
                 "(default 16)\n");
    return 2;
  }
  if (!AvoidWorkerCpu()) {
    std::fprintf(stderr,
                 "bench_answer_latency: cannot keep off CPU %d, which the dataplane worker "
                 "busy-polls; the figures will include waits behind it\n",
                 kWorkerCpu);
  }
  return ztgate::controlplane::Run(options);
}
