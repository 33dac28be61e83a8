// ztgate-control: the protective DNS server and flow installer.
//
//   ztgate-control [--config FILE] [--log-level LEVEL] [--check]
//
// --check loads and validates the configuration, then exits.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/str_cat.h"
#include "common/logging.h"
#include "common/readiness.h"
#include "controlplane/control_config.h"
#include "controlplane/policy_service.h"

namespace ztgate::controlplane {
namespace {

std::atomic<bool> g_stop_requested{false};

void HandleSignal(int /*signal*/) { g_stop_requested.store(true); }

constexpr char kUsage[] =
    "usage: ztgate-control [--config FILE] [--log-level LEVEL] [--check]\n"
    "  --config FILE     configuration file (default /etc/ztgate/control.yaml)\n"
    "  --log-level LEVEL trace, debug, info, warn or error (overrides the config)\n"
    "  --check           validate the configuration and exit\n";

struct Arguments {
  std::string config_path{kDefaultConfigPath};
  std::string log_level;
  bool check_only = false;
};

bool ParseArguments(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--check") {
      args.check_only = true;
    } else if ((flag == "--config" || flag == "--log-level") && i + 1 < argc) {
      (flag == "--config" ? args.config_path : args.log_level) = argv[++i];
    } else {
      std::fprintf(stderr, "ztgate-control: invalid option %s\n%s", flag.c_str(), kUsage);
      return false;
    }
  }
  return true;
}

int Serve(const ControlConfig& config) {
  PolicyService policy(config);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (absl::Status status = AddGrpcListeners(config.api, builder); !status.ok()) {
    spdlog::error("{}", status.message());
    return 1;
  }
  builder.RegisterService(&policy);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    spdlog::error("cannot start the API server on {}", config.api.unix_socket);
    return 1;
  }
  if (absl::Status status = RestrictUnixSocket(config.api); !status.ok()) {
    spdlog::error("{}", status.message());
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  NotifyReady();
  spdlog::info("ready: API on {}, {} policy group(s), {} dataplane(s)", config.api.unix_socket,
               config.resolver.policy.groups.size(), config.dataplanes.size());

  while (!g_stop_requested.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));

  spdlog::info("stopping");
  NotifyStopping();
  server->Shutdown();
  return 0;
}

}  // namespace
}  // namespace ztgate::controlplane

int main(int argc, char** argv) {
  using namespace ztgate::controlplane;
  Arguments args;
  if (!ParseArguments(argc, argv, args)) return 2;
  absl::StatusOr<ControlConfig> config = LoadControlConfig(args.config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "ztgate-control: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (args.check_only) {
    std::printf("%s: configuration is valid\n", args.config_path.c_str());
    return 0;
  }
  if (!args.log_level.empty()) config->log_level = args.log_level;
  if (absl::Status status = ztgate::InitLogging("ztgate-control", config->log_level);
      !status.ok()) {
    std::fprintf(stderr, "ztgate-control: %s\n", std::string(status.message()).c_str());
    return 2;
  }
  std::signal(SIGINT, HandleSignal);
  std::signal(SIGTERM, HandleSignal);
  return Serve(*config);
}
