// ztgatectl: the command-line client of the FlowTable (dataplane) and Policy
// (control plane) APIs.
//
//   ztgatectl [options] health dataplane|control [--wait DURATION]
//   ztgatectl [options] dataplane stats
//   ztgatectl [options] policy get
//
// Options:
//   --dataplane TARGET  FlowTable API (default unix:/run/ztgate/dataplane.sock)
//   --control TARGET    Policy API (default unix:/run/ztgate/control.sock)
//   --tls-cert FILE --tls-key FILE --tls-ca FILE  client mTLS for TCP targets
//   --timeout DURATION  per-call deadline (default 5s)
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/text_format.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_listener.h"
#include "common/yaml_reader.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "ztgate/v1/flowtable.grpc.pb.h"
#include "ztgate/v1/policy.grpc.pb.h"

namespace ztgate::ctl {
namespace {

constexpr char kUsage[] =
    "usage: ztgatectl [options] COMMAND\n"
    "commands:\n"
    "  health dataplane|control [--wait DURATION]  exit 0 when the daemon serves;\n"
    "                                              --wait retries until the deadline\n"
    "  dataplane stats                             port, pass and drop counters\n"
    "  policy get                                  the control plane's policy\n"
    "options:\n"
    "  --dataplane TARGET  FlowTable API (default unix:/run/ztgate/dataplane.sock)\n"
    "  --control TARGET    Policy API (default unix:/run/ztgate/control.sock)\n"
    "  --tls-cert FILE, --tls-key FILE, --tls-ca FILE  mutual TLS for TCP targets\n"
    "  --timeout DURATION  deadline of each call (default 5s)\n";

struct Options {
  std::string dataplane = "unix:/run/ztgate/dataplane.sock";
  std::string control = "unix:/run/ztgate/control.sock";
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  absl::Duration timeout = absl::Seconds(5);
  std::vector<std::string> command;
};

bool ParseOptions(int argc, char** argv, Options& options) {
  const std::map<std::string, std::string*> string_flags = {
      {"--dataplane", &options.dataplane}, {"--control", &options.control},
      {"--tls-cert", &options.tls_cert},   {"--tls-key", &options.tls_key},
      {"--tls-ca", &options.tls_ca}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (auto it = string_flags.find(arg); it != string_flags.end() && i + 1 < argc) {
      *it->second = argv[++i];
    } else if (arg == "--timeout" && i + 1 < argc) {
      absl::StatusOr<absl::Duration> timeout = ParseConfigDuration(argv[++i]);
      if (!timeout.ok()) {
        std::fprintf(stderr, "ztgatectl: --timeout: %s\n",
                     std::string(timeout.status().message()).c_str());
        return false;
      }
      options.timeout = *timeout;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      options.command.push_back(arg);
    }
  }
  return true;
}

std::shared_ptr<grpc::Channel> Connect(const Options& options, const std::string& target) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(target, options.tls_cert, options.tls_key, options.tls_ca);
  if (!credentials.ok()) {
    std::fprintf(stderr, "ztgatectl: %s\n", std::string(credentials.status().message()).c_str());
    std::exit(2);
  }
  return grpc::CreateChannel(target, *credentials);
}

void SetDeadline(grpc::ClientContext& context, const Options& options) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + options.timeout));
}

int Fail(const std::string& target, const grpc::Status& status) {
  std::fprintf(stderr, "ztgatectl: call to %s failed: %s (code %d)\n", target.c_str(),
               status.error_message().c_str(), static_cast<int>(status.error_code()));
  return 1;
}

int RunHealth(const Options& options) {
  if (options.command.size() < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string& which = options.command[1];
  if (which != "dataplane" && which != "control") {
    std::fprintf(stderr, "ztgatectl: health: expected dataplane or control, got %s\n",
                 which.c_str());
    return 2;
  }
  absl::Duration wait = absl::ZeroDuration();
  if (options.command.size() == 4 && options.command[2] == "--wait") {
    absl::StatusOr<absl::Duration> parsed = ParseConfigDuration(options.command[3]);
    if (!parsed.ok()) {
      std::fprintf(stderr, "ztgatectl: --wait: %s\n", std::string(parsed.status().message()).c_str());
      return 2;
    }
    wait = *parsed;
  }
  const std::string& target = which == "dataplane" ? options.dataplane : options.control;
  const absl::Time deadline = absl::Now() + wait;
  grpc::Status last;
  grpc::health::v1::HealthCheckResponse response;
  do {
    auto stub = grpc::health::v1::Health::NewStub(Connect(options, target));
    grpc::ClientContext context;
    SetDeadline(context, options);
    last = stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
    if (last.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      std::printf("%s: SERVING\n", target.c_str());
      return 0;
    }
    if (absl::Now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (absl::Now() < deadline);
  if (!last.ok()) return Fail(target, last);
  std::printf("%s: %s\n", target.c_str(),
              grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()).c_str());
  return 1;
}

int RunDataplaneStats(const Options& options) {
  auto stub = ztgate::v1::FlowTable::NewStub(Connect(options, options.dataplane));
  grpc::ClientContext context;
  SetDeadline(context, options);
  ztgate::v1::GetStatsResponse stats;
  grpc::Status status = stub->GetStats(&context, ztgate::v1::GetStatsRequest(), &stats);
  if (!status.ok()) return Fail(options.dataplane, status);
  std::printf("mode %s, flows %lu of %lu, exception prefixes %u, uptime %lds\n",
              ztgate::v1::Mode_Name(stats.mode()).c_str(), stats.flows(), stats.flow_capacity(),
              stats.exception_prefixes(), stats.uptime().seconds());
  for (const auto& port : stats.ports()) {
    std::printf("port %-8s rx %12lu  tx %12lu  rx_missed %lu  tx_failed %lu\n",
                port.name().c_str(), port.rx_packets(), port.tx_packets(), port.rx_missed(),
                port.tx_failed());
  }
  for (const auto& counter : stats.passes()) {
    std::printf("pass %-12s %12lu  %s\n", counter.name().c_str(), counter.value(),
                counter.description().c_str());
  }
  for (const auto& counter : stats.drops()) {
    std::printf("drop %-12s %12lu  %s\n", counter.name().c_str(), counter.value(),
                counter.description().c_str());
  }
  return 0;
}

int RunPolicyGet(const Options& options) {
  auto stub = ztgate::v1::Policy::NewStub(Connect(options, options.control));
  grpc::ClientContext context;
  SetDeadline(context, options);
  ztgate::v1::GetPolicyResponse response;
  grpc::Status status = stub->GetPolicy(&context, ztgate::v1::GetPolicyRequest(), &response);
  if (!status.ok()) return Fail(options.control, status);
  std::string text;
  google::protobuf::TextFormat::PrintToString(response.policy(), &text);
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace
}  // namespace ztgate::ctl

int main(int argc, char** argv) {
  using namespace ztgate::ctl;
  Options options;
  if (!ParseOptions(argc, argv, options)) return 2;
  const std::vector<std::string>& command = options.command;
  if (command.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (command[0] == "health") return RunHealth(options);
  if (command.size() == 2 && command[0] == "dataplane" && command[1] == "stats") {
    return RunDataplaneStats(options);
  }
  if (command.size() == 2 && command[0] == "policy" && command[1] == "get") {
    return RunPolicyGet(options);
  }
  std::fprintf(stderr, "ztgatectl: unknown command \"%s\"\n%s", command[0].c_str(), kUsage);
  return 2;
}
