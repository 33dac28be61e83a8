// EAL start-up for test binaries; see eal_environment.h.
#include "tests/dataplane/eal_environment.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include <rte_eal.h>
#include <rte_errno.h>

namespace ztgate::testing {

void EalEnvironment::SetUp() {
  std::vector<std::string> args = {
      "ztgate-test", "-l", "0,1", "--no-huge", "-m", "512", "--no-pci", "--no-telemetry",
      "--log-level", "lib.eal:error",
      "--file-prefix=ztgate-test-" + std::to_string(getpid())};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  const int rc = rte_eal_init(static_cast<int>(argv.size()), argv.data());
  ASSERT_GE(rc, 0) << "rte_eal_init failed: " << rte_strerror(rte_errno);
}

void EalEnvironment::TearDown() {
  // DPDK 22.11 leaves its runtime directory behind; remove it with the EAL.
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code error;
  std::filesystem::remove_all(runtime_dir, error);
}

}  // namespace ztgate::testing
