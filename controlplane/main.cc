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

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/str_cat.h"
#include "common/logging.h"
#include "common/readiness.h"
#include "controlplane/control_config.h"
#include "controlplane/control_daemon.h"

namespace ztgate::controlplane {
namespace {

std::atomic<bool> g_stop_requested{false};
std::atomic<bool> g_reload_requested{false};

void HandleSignal(int /*signal*/) { g_stop_requested.store(true); }
void HandleReload(int /*signal*/) { g_reload_requested.store(true); }

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

// How long start-up waits for every dataplane to be resynced before the
// daemon reports SERVING. DPDK ports take seconds to come up, and a resync
// replays every live flow.
constexpr absl::Duration kDataplaneSyncTimeout = absl::Minutes(2);

int Serve(const ControlConfig& config) {
  ControlDaemon daemon(config);
  if (absl::Status status = daemon.Start(); !status.ok()) {
    spdlog::error("start-up failed: {}", status.message());
    return 1;
  }
  spdlog::info("DoT on {} and DoH on {} listener(s), API on {}, {} policy group(s), "
               "{} dataplane(s)",
               config.resolver.dot_listeners.size(), config.resolver.doh_listeners.size(),
               config.api.unix_socket,
               config.resolver.policy.groups.size(), config.dataplanes.size());
  if (!daemon.WaitDataplanesAndServe(kDataplaneSyncTimeout)) {
    spdlog::error("dataplanes not synced within {}; answers with addresses get SERVFAIL until "
                  "they are", absl::FormatDuration(kDataplaneSyncTimeout));
  } else {
    spdlog::info("ready");
  }

  while (!g_stop_requested.load()) {
    if (g_reload_requested.exchange(false)) {
      absl::Status status = daemon.ReloadTls();
      if (status.ok()) {
        spdlog::info("reloaded TLS certificates and keys");
      } else {
        spdlog::error("TLS reload failed, keeping the previous certificates: {}",
                      status.message());
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  spdlog::info("stopping");
  NotifyStopping();
  daemon.Stop();
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
#ifdef SIGHUP
  std::signal(SIGHUP, HandleReload);
#endif
  return Serve(*config);
}
