// Child daemons for end-to-end tests; see daemon_process.h.
#include "tests/support/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "common/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"

extern char** environ;

namespace ztgate::testing {

absl::Status DaemonProcess::Start(const std::vector<std::string>& argv,
                                  const std::filesystem::path& log_file) {
  log_file_ = log_file;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return absl::InternalError(StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  return absl::OkStatus();
}

absl::Status DaemonProcess::WaitServing(const std::string& target, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  while (absl::Now() < deadline) {
    int status = 0;
    if (pid_ <= 0 || waitpid(pid_, &status, WNOHANG) == pid_) {
      return absl::FailedPreconditionError(StrCat("daemon exited before it served; log:\n",
                                                  LogTail()));
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    grpc::health::v1::HealthCheckResponse response;
    if (stub->Check(&context, {}, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(StrCat("daemon not SERVING on ", target, " within ",
                                            absl::FormatDuration(timeout), "; log:\n",
                                            LogTail()));
}

int DaemonProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGCONT);  // A paused daemon cannot handle SIGTERM.
  kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void DaemonProcess::Pause() const {
  if (pid_ <= 0) return;
  kill(pid_, SIGSTOP);
  // SIGSTOP takes effect asynchronously: a thread already running finishes
  // what it is doing first. WUNTRACED returns once every thread stopped.
  int status = 0;
  while (waitpid(pid_, &status, WUNTRACED) < 0 && errno == EINTR) {
  }
}

void DaemonProcess::Resume() const {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

std::string DaemonProcess::LogTail() const {
  std::ifstream in(log_file_);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  constexpr size_t kTailBytes = 4000;
  return all.size() > kTailBytes ? all.substr(all.size() - kTailBytes) : all;
}

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code error;
  if (!path_.empty()) std::filesystem::remove_all(path_, error);
}

std::string UniqueFilePrefix(const std::string& tag) {
  static std::atomic<int> counter{0};
  return StrCat("ztgate-", tag, "-", getpid(), "-", counter.fetch_add(1));
}

}  // namespace ztgate::testing
