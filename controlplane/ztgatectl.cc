// ztgatectl: the command-line client of the FlowTable (dataplane) and Policy
// (control plane) APIs.
//
//   ztgatectl [options] health dataplane|control [--wait DURATION]
//   ztgatectl [options] dataplane stats
//   ztgatectl [options] dataplane flows [--client PREFIX]
//   ztgatectl [options] dataplane install CLIENT DESTINATION LIFETIME [NAME]
//   ztgatectl [options] dataplane remove CLIENT DESTINATION | --client PREFIX
//   ztgatectl [options] dataplane mode enforce|audit
//   ztgatectl [options] dataplane exceptions [PREFIX...]
//   ztgatectl [options] dataplane audit-clients [PREFIX...]
//   ztgatectl [options] dataplane drops [--client PREFIX] [--count N]
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
#include "common/ip_address.h"
#include "absl/time/clock.h"
#include "common/grpc_listener.h"
#include "common/yaml_reader.h"
#include "controlplane/ctl_control_commands.h"
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
    "  dataplane flows [--client PREFIX]           installed flows, by client subnet\n"
    "  dataplane install CLIENT DEST LIFETIME [NAME]  allow CLIENT to reach DEST\n"
    "  dataplane remove CLIENT DEST                remove one flow\n"
    "  dataplane remove --client PREFIX            remove every flow of the clients\n"
    "  dataplane mode enforce|audit                switch enforcement mode\n"
    "  dataplane exceptions [PREFIX...]            replace the exception subnets\n"
    "  dataplane audit-clients [PREFIX...]         replace the clients audited in\n"
    "                                              enforce mode (per-group audit)\n"
    "  dataplane drops [--client PREFIX] [--count N]  stream sampled drops until N\n"
    "                                              arrive or Ctrl-C (no deadline)\n"
    ZTGATE_CTL_CONTROL_USAGE
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
  std::printf(
      "mode %s, flows %lu of %lu, exception prefixes %u, audit client prefixes %u, uptime %lds\n",
      ztgate::v1::Mode_Name(stats.mode()).c_str(), stats.flows(), stats.flow_capacity(),
      stats.exception_prefixes(), stats.audit_client_prefixes(), stats.uptime().seconds());
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
  for (const auto& counter : stats.audited()) {
    if (counter.value() == 0) continue;
    std::printf("audited %-9s %12lu  %s\n", counter.name().c_str(), counter.value(),
                counter.description().c_str());
  }
  if (stats.install_rejected_full() > 0) {
    std::printf("install_rejected_full %lu\n", stats.install_rejected_full());
  }
  return 0;
}

// Parses "--client PREFIX" and "--count N" pairs after the subcommand.
struct DataplaneFilter {
  std::vector<ztgate::IpPrefix> clients;
  uint64_t count = 0;  // 0: unlimited.
};

bool ParseDataplaneFilter(const std::vector<std::string>& args, size_t first,
                          DataplaneFilter& filter) {
  for (size_t i = first; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "ztgatectl: %s needs a value\n", args[i].c_str());
      return false;
    }
    if (args[i] == "--client") {
      absl::StatusOr<ztgate::IpPrefix> prefix = ztgate::IpPrefix::Parse(args[i + 1]);
      if (!prefix.ok()) {
        std::fprintf(stderr, "ztgatectl: --client: %s\n",
                     std::string(prefix.status().message()).c_str());
        return false;
      }
      filter.clients.push_back(*prefix);
    } else if (args[i] == "--count") {
      filter.count = std::strtoull(args[i + 1].c_str(), nullptr, 10);
    } else {
      std::fprintf(stderr, "ztgatectl: unknown option %s\n", args[i].c_str());
      return false;
    }
  }
  return true;
}

void SetPrefix(const ztgate::IpPrefix& prefix, ztgate::v1::Prefix* out) {
  out->set_address(prefix.address().ToBytes());
  out->set_prefix_length(static_cast<uint32_t>(prefix.length()));
}

std::string AddressText(const std::string& bytes) {
  absl::StatusOr<ztgate::IpAddress> address = ztgate::IpAddress::FromBytes(bytes);
  return address.ok() ? address->ToString() : "-";
}

std::string TimeText(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

int RunDataplaneFlows(const Options& options) {
  DataplaneFilter filter;
  if (!ParseDataplaneFilter(options.command, 2, filter)) return 2;
  auto stub = ztgate::v1::FlowTable::NewStub(Connect(options, options.dataplane));
  grpc::ClientContext context;
  SetDeadline(context, options);
  ztgate::v1::ListFlowsRequest request;
  for (const auto& prefix : filter.clients) SetPrefix(prefix, request.add_clients());
  auto reader = stub->ListFlows(&context, request);
  ztgate::v1::ListFlowsResponse page;
  std::printf("%-39s %-39s %-20s %-20s %10s %12s  %s\n", "client", "destination", "expires",
              "last_seen", "packets", "bytes", "name");
  while (reader->Read(&page)) {
    for (const auto& flow : page.flows()) {
      std::printf("%-39s %-39s %-20s %-20s %10lu %12lu  %s\n", AddressText(flow.client()).c_str(),
                  AddressText(flow.destination()).c_str(), TimeText(flow.expires()).c_str(),
                  TimeText(flow.last_seen()).c_str(), flow.packets(), flow.bytes(),
                  flow.name().c_str());
    }
  }
  grpc::Status status = reader->Finish();
  return status.ok() ? 0 : Fail(options.dataplane, status);
}

bool ParseAddressArgument(const std::string& text, std::string* bytes) {
  absl::StatusOr<ztgate::IpAddress> address = ztgate::IpAddress::Parse(text);
  if (!address.ok()) {
    std::fprintf(stderr, "ztgatectl: %s\n", std::string(address.status().message()).c_str());
    return false;
  }
  *bytes = address->ToBytes();
  return true;
}

int RunDataplaneInstall(const Options& options) {
  const std::vector<std::string>& args = options.command;
  if (args.size() < 5 || args.size() > 6) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  ztgate::v1::InstallFlowsRequest request;
  request.set_batch_id(1);
  ztgate::v1::Flow* flow = request.add_flows();
  if (!ParseAddressArgument(args[2], flow->mutable_client()) ||
      !ParseAddressArgument(args[3], flow->mutable_destination())) {
    return 2;
  }
  absl::StatusOr<absl::Duration> lifetime = ParseConfigDuration(args[4]);
  if (!lifetime.ok()) {
    std::fprintf(stderr, "ztgatectl: lifetime: %s\n", std::string(lifetime.status().message()).c_str());
    return 2;
  }
  flow->mutable_lifetime()->set_seconds(absl::ToInt64Seconds(*lifetime));
  if (args.size() == 6) request.add_names(args[5]);

  auto stub = ztgate::v1::FlowTable::NewStub(Connect(options, options.dataplane));
  grpc::ClientContext context;
  SetDeadline(context, options);
  auto stream = stub->InstallFlows(&context);
  ztgate::v1::InstallFlowsResponse response;
  if (!stream->Write(request) || !stream->Read(&response)) {
    return Fail(options.dataplane, stream->Finish());
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  if (!status.ok()) return Fail(options.dataplane, status);
  if (response.errors_size() > 0) {
    std::fprintf(stderr, "ztgatectl: flow not installed: %s (code %d)\n",
                 response.errors(0).message().c_str(), response.errors(0).code());
    return 1;
  }
  std::printf("%s\n", response.installed() == 1 ? "installed" : "refreshed");
  return 0;
}

int RunDataplaneRemove(const Options& options) {
  const std::vector<std::string>& args = options.command;
  ztgate::v1::RemoveFlowsRequest request;
  if (args.size() == 4 && args[2] == "--client") {
    DataplaneFilter filter;
    if (!ParseDataplaneFilter(args, 2, filter)) return 2;
    for (const auto& prefix : filter.clients) SetPrefix(prefix, request.add_clients());
  } else if (args.size() == 4) {
    ztgate::v1::FlowKey* key = request.add_flows();
    if (!ParseAddressArgument(args[2], key->mutable_client()) ||
        !ParseAddressArgument(args[3], key->mutable_destination())) {
      return 2;
    }
  } else {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto stub = ztgate::v1::FlowTable::NewStub(Connect(options, options.dataplane));
  grpc::ClientContext context;
  SetDeadline(context, options);
  ztgate::v1::RemoveFlowsResponse response;
  grpc::Status status = stub->RemoveFlows(&context, request, &response);
  if (!status.ok()) return Fail(options.dataplane, status);
  std::printf("removed %u\n", response.removed());
  return 0;
}

int RunDataplaneMode(const Options& options) {
  const std::vector<std::string>& args = options.command;
  ztgate::v1::SetModeRequest request;
  if (args.size() == 3 && args[2] == "enforce") {
    request.set_mode(ztgate::v1::MODE_ENFORCE);
  } else if (args.size() == 3 && args[2] == "audit") {
    request.set_mode(ztgate::v1::MODE_AUDIT);
  } else {
    std::fprintf(stderr, "ztgatectl: dataplane mode: expected enforce or audit\n");
    return 2;
  }
  auto stub = ztgate::v1::FlowTable::NewStub(Connect(options, options.dataplane));
  grpc::ClientContext context;
  SetDeadline(context, options);
  ztgate::v1::SetModeResponse response;
  grpc::Status status = stub->SetMode(&context, request, &response);
  if (!status.ok()) return Fail(options.dataplane, status);
  std::printf("mode %s (was %s)\n", args[2].c_str(),
              ztgate::v1::Mode_Name(response.previous()).c_str());
  return 0;
}

// Parses the prefixes from the command's third word on into `out`; false
// (after printing why) on a malformed one.
bool ParsePrefixArguments(const Options& options,
                          google::protobuf::RepeatedPtrField<ztgate::v1::Prefix>* out) {
  for (size_t i = 2; i < options.command.size(); ++i) {
    absl::StatusOr<ztgate::IpPrefix> prefix = ztgate::IpPrefix::Parse(options.command[i]);
    if (!prefix.ok()) {
      std::fprintf(stderr, "ztgatectl: %s\n", std::string(prefix.status().message()).c_str());
      return false;
    }
    SetPrefix(*prefix, out->Add());
  }
  return true;
}

int RunDataplaneExceptions(const Options& options) {
  ztgate::v1::SetExceptionsRequest request;
  if (!ParsePrefixArguments(options, request.mutable_prefixes())) return 2;
  auto stub = ztgate::v1::FlowTable::NewStub(Connect(options, options.dataplane));
  grpc::ClientContext context;
  SetDeadline(context, options);
  ztgate::v1::SetExceptionsResponse response;
  grpc::Status status = stub->SetExceptions(&context, request, &response);
  if (!status.ok()) return Fail(options.dataplane, status);
  std::printf("exceptions: %u prefixes\n", response.prefixes());
  return 0;
}

int RunDataplaneAuditClients(const Options& options) {
  ztgate::v1::SetAuditClientsRequest request;
  if (!ParsePrefixArguments(options, request.mutable_clients())) return 2;
  auto stub = ztgate::v1::FlowTable::NewStub(Connect(options, options.dataplane));
  grpc::ClientContext context;
  SetDeadline(context, options);
  ztgate::v1::SetAuditClientsResponse response;
  grpc::Status status = stub->SetAuditClients(&context, request, &response);
  if (!status.ok()) return Fail(options.dataplane, status);
  std::printf("audit clients: %u prefixes\n", response.prefixes());
  return 0;
}

int RunDataplaneDrops(const Options& options) {
  DataplaneFilter filter;
  if (!ParseDataplaneFilter(options.command, 2, filter)) return 2;
  auto stub = ztgate::v1::FlowTable::NewStub(Connect(options, options.dataplane));
  // No deadline: the stream runs until --count samples or an interrupt.
  grpc::ClientContext context;
  ztgate::v1::WatchDropsRequest request;
  for (const auto& prefix : filter.clients) SetPrefix(prefix, request.add_clients());
  auto reader = stub->WatchDrops(&context, request);
  ztgate::v1::WatchDropsResponse response;
  uint64_t printed = 0;
  while (reader->Read(&response)) {
    if (response.lost() > 0) std::printf("(%lu samples lost)\n", response.lost());
    for (const auto& drop : response.drops()) {
      std::printf("%s %-39s -> %-39s proto %u port %u %s%s\n", TimeText(drop.time()).c_str(),
                  AddressText(drop.client()).c_str(), AddressText(drop.destination()).c_str(),
                  drop.ip_protocol(), drop.destination_port(), drop.reason().c_str(),
                  drop.audited() ? " (audited)" : "");
      if (filter.count != 0 && ++printed >= filter.count) {
        context.TryCancel();
        return 0;
      }
    }
    std::fflush(stdout);
  }
  grpc::Status status = reader->Finish();
  return status.ok() ? 0 : Fail(options.dataplane, status);
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
  if (command.size() >= 2 && command[0] == "dataplane") {
    const std::string& sub = command[1];
    if (sub == "flows") return RunDataplaneFlows(options);
    if (sub == "install") return RunDataplaneInstall(options);
    if (sub == "remove") return RunDataplaneRemove(options);
    if (sub == "mode") return RunDataplaneMode(options);
    if (sub == "exceptions") return RunDataplaneExceptions(options);
    if (sub == "audit-clients") return RunDataplaneAuditClients(options);
    if (sub == "drops") return RunDataplaneDrops(options);
  }
  if (IsControlCommand(command)) {
    return RunControlCommand(Connect(options, options.control), options.control, options.timeout,
                             command);
  }
  std::fprintf(stderr, "ztgatectl: unknown command \"%s\"\n%s", command[0].c_str(), kUsage);
  return 2;
}
