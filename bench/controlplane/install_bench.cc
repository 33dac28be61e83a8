// Cost of install before release, measured against a real ztgate-dataplane
// process (ring vdevs, --no-huge) over its Unix socket:
//
// 1. Added answer latency: one answer at a time, each with one new flow,
//    so every answer waits for an InstallFlows round trip. The rest of the
//    query path is the same with installation off, so this latency is what
//    installation adds; p50 and p99 over the samples.
// 2. Throughput: many answers in flight (each with several flows), so the
//    installer coalesces them into large batches; flows per second.
//
//   bench_install [--answers N] [--flows N] [--in-flight N]
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <vector>

#include "common/parse_number.h"
#include "controlplane/flow_installer.h"
#include "tests/support/daemon_process.h"

namespace ztgate::controlplane {
namespace {

struct Options {
  uint32_t latency_answers = 20000;
  uint32_t throughput_flows = 500000;
  uint32_t flows_per_answer = 4;
  uint32_t in_flight = 256;
};

IpAddress Destination(uint32_t n) {
  return IpAddress::FromV4({198, 18, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
}

IpAddress Client(uint32_t n) {
  return IpAddress::FromV4({198, 19, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
}

absl::Duration Percentile(std::vector<absl::Duration>& samples, double q) {
  std::sort(samples.begin(), samples.end());
  return samples[static_cast<size_t>(q * static_cast<double>(samples.size() - 1))];
}

void MeasureLatency(FlowInstaller& installer, uint32_t answers) {
  std::vector<absl::Duration> samples;
  samples.reserve(answers);
  std::mutex mutex;
  std::condition_variable done;
  for (uint32_t i = 0; i < answers; ++i) {
    bool finished = false;
    const absl::Time start = absl::Now();
    absl::Time end;
    installer.Install(Client(1),
                      {{Client(1), Destination(i), absl::Seconds(300), "bench.lab", nullptr}},
                      [&](absl::StatusOr<absl::Duration> lifetime) {
                        std::lock_guard lock(mutex);
                        if (!lifetime.ok()) std::fprintf(stderr, "install failed\n");
                        end = absl::Now();
                        finished = true;
                        done.notify_one();
                      });
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return finished; });
    samples.push_back(end - start);
  }
  std::printf("added answer latency (1 flow per answer, %u answers, one at a time): "
              "p50 %.1f us, p99 %.1f us\n",
              answers, absl::ToDoubleMicroseconds(Percentile(samples, 0.50)),
              absl::ToDoubleMicroseconds(Percentile(samples, 0.99)));
}

void MeasureThroughput(FlowInstaller& installer, const Options& options) {
  const uint32_t answers = options.throughput_flows / options.flows_per_answer;
  std::atomic<uint32_t> completed{0};
  std::atomic<uint32_t> failed{0};
  std::mutex mutex;
  std::condition_variable slot;
  uint32_t in_flight = 0;
  const absl::Time start = absl::Now();
  for (uint32_t a = 0; a < answers; ++a) {
    std::vector<FlowToInstall> flows;
    for (uint32_t f = 0; f < options.flows_per_answer; ++f) {
      const uint32_t n = a * options.flows_per_answer + f;
      flows.push_back({Client(2 + n / 65536), Destination(n % 65536), absl::Seconds(300),
                       "throughput.bench.lab", nullptr});
    }
    {
      std::unique_lock lock(mutex);
      slot.wait(lock, [&] { return in_flight < options.in_flight; });
      ++in_flight;
    }
    const IpAddress client = flows[0].client;
    installer.Install(client, std::move(flows), [&](absl::StatusOr<absl::Duration> lifetime) {
      if (!lifetime.ok()) failed.fetch_add(1);
      completed.fetch_add(1);
      std::lock_guard lock(mutex);
      --in_flight;
      slot.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  slot.wait(lock, [&] { return in_flight == 0; });
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("install throughput (%u flows per answer, %u answers in flight): "
              "%.0f flows/s over %u flows, %u failed answers\n",
              options.flows_per_answer, options.in_flight,
              options.throughput_flows / seconds, options.throughput_flows, failed.load());
}

int Run(const Options& options) {
  ztgate::testing::TempDir dir("ztgate-install-bench");
  const std::string socket = (dir.path() / "dataplane.sock").string();
  std::ofstream(dir.path() / "dataplane.yaml")
      << "table:\n  size: 1048576\napi:\n  unix_socket: " << socket << "\n";
  ztgate::testing::DaemonProcess dataplane;
  absl::Status started = dataplane.Start(
      {ZTGATE_DATAPLANE_BINARY, "-l", "0,1", "--no-huge", "-m", "1024", "--no-pci",
       "--no-telemetry", "--file-prefix=" + ztgate::testing::UniqueFilePrefix("install-bench"),
       "--vdev=net_ring0", "--vdev=net_ring1", "--", "--inside", "net_ring0", "--outside",
       "net_ring1", "--config", (dir.path() / "dataplane.yaml").string()},
      dir.path() / "dataplane.log");
  if (started.ok()) started = dataplane.WaitServing("unix:" + socket, absl::Seconds(60));
  if (!started.ok()) {
    std::fprintf(stderr, "bench_install: %s\n", std::string(started.message()).c_str());
    return 1;
  }

  InstallConfig install;
  install.ack_timeout = absl::Seconds(10);
  DataplaneTarget target;
  target.target = "unix:" + socket;
  FlowInstaller installer({target}, install);
  if (!installer.Start().ok()) return 1;
  while (!installer.AllSynced()) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  MeasureLatency(installer, options.latency_answers);
  MeasureThroughput(installer, options);
  installer.Stop();
  return 0;
}

}  // namespace
}  // namespace ztgate::controlplane

int main(int argc, char** argv) {
  ztgate::controlplane::Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    uint32_t* target = flag == "--answers"     ? &options.latency_answers
                       : flag == "--flows"     ? &options.throughput_flows
                       : flag == "--in-flight" ? &options.in_flight
                                               : nullptr;
    if (target == nullptr || !ztgate::ParseDecimal(argv[i + 1], target)) {
      std::fprintf(stderr, "usage: bench_install [--answers N] [--flows N] [--in-flight N]\n");
      return 2;
    }
  }
  return ztgate::controlplane::Run(options);
}
