// A real unbound (Debian's /usr/sbin/unbound) started by a test as the DoT
// upstream: TLS on 127.0.0.1 at a free high port, serving the corp.lab test
// zone from local-data and refusing everything else, so it never queries
// anything outside loopback. Stopped (SIGTERM, then SIGKILL) on destruction.
#ifndef ZTGATE_TESTS_RESOLVER_TRANSPORT_UNBOUND_PROCESS_H_
#define ZTGATE_TESTS_RESOLVER_TRANSPORT_UNBOUND_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ztgate::resolver::transport::testing {

// The corp.lab records unbound serves, in 198.18.0.0/15 and 2001:db8::/32.
inline constexpr char kHostName[] = "host1.corp.lab";
inline constexpr char kHostV4[] = "198.18.0.10";
inline constexpr char kHostV6[] = "2001:db8::10";
inline constexpr char kOtherName[] = "host2.corp.lab";
inline constexpr char kOtherV4[] = "198.18.0.20";

// A free TCP port on 127.0.0.1, picked by the kernel.
uint16_t FreePort();

class UnboundProcess {
 public:
  ~UnboundProcess();
  // Writes the config into `dir`, starts unbound and waits until its TLS
  // port accepts connections (deadline 15 s). `threads` is num-threads.
  static absl::StatusOr<std::unique_ptr<UnboundProcess>> Start(
      const std::string& dir, const std::string& certificate, const std::string& key,
      int threads = 1);

  uint16_t port() const { return port_; }

 private:
  UnboundProcess() = default;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// Waits until 127.0.0.1:port accepts TCP connections.
absl::Status WaitForPort(uint16_t port, std::chrono::milliseconds deadline);

}  // namespace ztgate::resolver::transport::testing

#endif  // ZTGATE_TESTS_RESOLVER_TRANSPORT_UNBOUND_PROCESS_H_
