// Runs a ztgate daemon binary as a child process for end-to-end tests: the
// real program, started with posix_spawn, waited for through gRPC health
// with a deadline, and stopped (SIGTERM, then SIGKILL) when the test ends,
// also when it fails. Pause() sends SIGSTOP and returns once the daemon has
// stopped; Resume() sends SIGCONT. Pausing holds back every answer the
// daemon would send while the test checks what its peer does meanwhile.
#ifndef ZTGATE_TESTS_SUPPORT_DAEMON_PROCESS_H_
#define ZTGATE_TESTS_SUPPORT_DAEMON_PROCESS_H_

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ztgate::testing {

class DaemonProcess {
 public:
  DaemonProcess() = default;
  ~DaemonProcess() { Stop(); }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Starts `argv[0]` with `argv`; stdout and stderr go to `log_file`.
  absl::Status Start(const std::vector<std::string>& argv, const std::filesystem::path& log_file);
  // Polls grpc.health.v1 on `target` until SERVING or `timeout`.
  absl::Status WaitServing(const std::string& target, absl::Duration timeout) const;
  // Sends SIGTERM and waits up to 10 s, then SIGKILL. Returns the exit code.
  int Stop();
  void Pause() const;
  void Resume() const;
  bool running() const { return pid_ > 0; }
  // The last lines of the log, for failure messages.
  std::string LogTail() const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_file_;
};

// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Returns "ztgate-<tag>-<pid>-<n>", unique per call within this process and
// across processes, for DPDK --file-prefix values.
std::string UniqueFilePrefix(const std::string& tag);

}  // namespace ztgate::testing

#endif  // ZTGATE_TESTS_SUPPORT_DAEMON_PROCESS_H_
