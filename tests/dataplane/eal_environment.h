// A GoogleTest environment that starts DPDK's EAL once for a test binary
// (rte_eal_init may run only once per process), without hugepages or PCI
// devices, with a file prefix unique to this process so that test binaries
// can run side by side.
#ifndef ZTGATE_TESTS_DATAPLANE_EAL_ENVIRONMENT_H_
#define ZTGATE_TESTS_DATAPLANE_EAL_ENVIRONMENT_H_

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ztgate::testing {

class EalEnvironment : public ::testing::Environment {
 public:
  // `extra_args` are appended to the EAL arguments, for example vdevs.
  explicit EalEnvironment(std::vector<std::string> extra_args = {})
      : extra_args_(std::move(extra_args)) {}
  void SetUp() override;
  void TearDown() override;

 private:
  std::vector<std::string> extra_args_;
};

}  // namespace ztgate::testing

#endif  // ZTGATE_TESTS_DATAPLANE_EAL_ENVIRONMENT_H_
