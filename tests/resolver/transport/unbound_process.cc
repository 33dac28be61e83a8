// Running a real unbound as the DoT upstream; see unbound_process.h.
#include "tests/resolver/transport/unbound_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "common/str_cat.h"

namespace ztgate::resolver::transport::testing {
namespace {

constexpr char kUnboundBinary[] = "/usr/sbin/unbound";
constexpr auto kStartDeadline = std::chrono::seconds(15);
constexpr auto kStopGrace = std::chrono::seconds(3);

std::string UnboundConfig(const std::string& dir, uint16_t port, const std::string& certificate,
                          const std::string& key, int threads) {
  return StrCat(R"(server:
  interface: 127.0.0.1@)", port, R"(
  tls-port: )", port, R"(
  tls-service-pem: ")", certificate, R"("
  tls-service-key: ")", key, R"("
  do-ip6: no
  do-daemonize: no
  chroot: ""
  username: ""
  directory: ")", dir, R"("
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  num-threads: )", threads, R"(
  so-reuseport: no
  incoming-num-tcp: 1000
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  # No forwarding and no recursion: every name outside corp.lab is refused,
  # so unbound never sends a query anywhere.
  outgoing-interface: 127.0.0.1
  local-zone: "." refuse
  local-zone: "corp.lab." static
  local-data: "corp.lab. 3600 IN SOA ns.corp.lab. admin.corp.lab. 1 3600 600 86400 300"
  local-data: ")", kHostName, R"(. 300 IN A )", kHostV4, R"("
  local-data: ")", kHostName, R"(. 300 IN AAAA )", kHostV6, R"("
  local-data: ")", kOtherName, R"(. 300 IN A )", kOtherV4, R"("
  local-data: "loopback.corp.lab. 60 IN A 127.0.0.1"
  local-data: "host3.corp.lab. 300 IN A 198.18.0.30"
  local-data: "host4.corp.lab. 300 IN A 198.18.0.40"
  local-data: "ttl0.corp.lab. 0 IN A 198.18.0.50"
  local-data: "held.corp.lab. 300 IN A 198.18.0.70"
  local-data: "doh.corp.lab. 300 IN A 198.18.0.80"
  local-data: "doh-held.corp.lab. 300 IN A 198.18.0.81"
  local-data: "short.corp.lab. 10 IN A 198.18.0.51"
  local-data: "long.corp.lab. 600 IN A 198.18.0.51"
  local-data: "longer.corp.lab. 1000 IN A 198.18.0.51"
  local-data: "alias.corp.lab. 300 IN CNAME host3.corp.lab."
  local-data: "svc.corp.lab. 300 IN HTTPS 1 . alpn=h2 ipv4hint=198.18.0.60 ipv6hint=2001:db8::60"
remote-control:
  control-enable: no
)");
}

}  // namespace

uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

absl::Status WaitForPort(uint16_t port, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool connected =
        connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (connected) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      StrCat("127.0.0.1:", port, " did not accept connections within ",
             std::chrono::duration_cast<std::chrono::milliseconds>(deadline).count(), " ms"));
}

absl::StatusOr<std::unique_ptr<UnboundProcess>> UnboundProcess::Start(
    const std::string& dir, const std::string& certificate, const std::string& key,
    int threads) {
  std::unique_ptr<UnboundProcess> process(new UnboundProcess());
  process->port_ = FreePort();
  const std::string config_path = StrCat(dir, "/unbound.conf");
  {
    std::ofstream config(config_path);
    config << UnboundConfig(dir, process->port_, certificate, key, threads);
  }
  const std::string log_path = StrCat(dir, "/unbound.log");
  process->pid_ = fork();
  if (process->pid_ < 0) return absl::InternalError("fork failed");
  if (process->pid_ == 0) {
    // Dies with the test process, even when the test crashes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    FILE* log = fopen(log_path.c_str(), "w");
    if (log != nullptr) {
      dup2(fileno(log), STDOUT_FILENO);
      dup2(fileno(log), STDERR_FILENO);
    }
    execl(kUnboundBinary, kUnboundBinary, "-d", "-c", config_path.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  if (absl::Status ready = WaitForPort(process->port_, kStartDeadline); !ready.ok()) {
    std::ifstream log(log_path);
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    return absl::UnavailableError(StrCat("unbound did not start: ", ready.message(), "\n", text));
  }
  return process;
}

UnboundProcess::~UnboundProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + kStopGrace;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

}  // namespace ztgate::resolver::transport::testing
