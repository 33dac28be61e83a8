// ztgatectl's control-plane commands; see ctl_control_commands.h.
#include "controlplane/ctl_control_commands.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <google/protobuf/text_format.h>

#include "absl/time/clock.h"
#include "common/ip_address.h"
#include "common/parse_number.h"
#include "common/str_cat.h"
#include "controlplane/decision_log.h"
#include "controlplane/policy_convert.h"
#include "google/protobuf/util/time_util.h"
#include "ztgate/v1/policy.grpc.pb.h"

namespace ztgate::ctl {
namespace {

using google::protobuf::util::TimeUtil;

struct Call {
  std::unique_ptr<ztgate::v1::Policy::Stub> stub;
  std::string target;
  absl::Duration timeout;

  void Prepare(grpc::ClientContext& context) const {
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
  int Fail(const grpc::Status& status) const {
    std::fprintf(stderr, "ztgatectl: call to %s failed: %s (code %d)\n", target.c_str(),
                 status.error_message().c_str(), static_cast<int>(status.error_code()));
    return 1;
  }
};

controlplane::DecisionVerdict VerdictFromLabel(const std::string& label) {
  for (size_t i = 0; i < controlplane::kDecisionVerdictCount; ++i) {
    if (controlplane::kDecisionVerdictLabels[i] == label) {
      return static_cast<controlplane::DecisionVerdict>(i);
    }
  }
  return controlplane::DecisionVerdict::kDropped;
}

int Usage(const char* message) {
  std::fprintf(stderr, "ztgatectl: %s\ncommands:\n%s", message, ZTGATE_CTL_CONTROL_USAGE);
  return 2;
}

// Removes "--revoke" from `args`; returns whether it was there.
bool TakeRevoke(std::vector<std::string>& args) {
  return std::erase(args, std::string("--revoke")) > 0;
}

std::string AddressText(const std::string& bytes) {
  absl::StatusOr<IpAddress> address = IpAddress::FromBytes(bytes);
  return address.ok() ? address->ToString() : "?";
}

int ControlStats(const Call& call) {
  grpc::ClientContext context;
  call.Prepare(context);
  ztgate::v1::GetControlStatsResponse stats;
  grpc::Status status = call.stub->GetControlStats(&context, {}, &stats);
  if (!status.ok()) return call.Fail(status);
  std::printf("policy version %lu, cache hits %lu, misses %lu\n", stats.policy_version(),
              stats.cache_hits(), stats.cache_misses());
  std::map<std::string, uint64_t> decisions(stats.decisions().begin(), stats.decisions().end());
  for (const auto& [verdict, count] : decisions) {
    std::printf("decision %-16s %12lu\n", verdict.c_str(), count);
  }
  std::map<std::string, uint64_t> transports(stats.queries_by_transport().begin(),
                                             stats.queries_by_transport().end());
  for (const auto& [transport, count] : transports) {
    std::printf("queries over %-11s %12lu\n", transport.c_str(), count);
  }
  std::map<std::string, uint64_t> counters(stats.listener_counters().begin(),
                                           stats.listener_counters().end());
  for (const auto& [name, count] : counters) {
    // Zero counters are left out; most error counters stay at zero.
    if (count != 0) std::printf("%-40s %12lu\n", name.c_str(), count);
  }
  for (const ztgate::v1::DataplaneStatus& dataplane : stats.dataplanes()) {
    std::printf("dataplane %s: %s, %s, %lu flows mirrored, %lu batches, %lu failures, "
                "install p50 %ldus p99 %ldus\n",
                dataplane.target().c_str(), dataplane.connected() ? "connected" : "disconnected",
                dataplane.synced() ? "synced" : "not synced", dataplane.flows_mirrored(),
                dataplane.batches_sent(), dataplane.install_failures(),
                TimeUtil::DurationToMicroseconds(dataplane.install_latency_p50()),
                TimeUtil::DurationToMicroseconds(dataplane.install_latency_p99()));
  }
  return 0;
}

int PolicyGet(const Call& call) {
  grpc::ClientContext context;
  call.Prepare(context);
  ztgate::v1::GetPolicyResponse response;
  grpc::Status status = call.stub->GetPolicy(&context, {}, &response);
  if (!status.ok()) return call.Fail(status);
  std::string text;
  google::protobuf::TextFormat::PrintToString(response.policy(), &text);
  std::fputs(text.c_str(), stdout);
  return 0;
}

std::string ModeText(ztgate::v1::Mode mode) {
  switch (mode) {
    case ztgate::v1::MODE_ENFORCE: return "enforce";
    case ztgate::v1::MODE_AUDIT: return "audit";
    default: return "global";
  }
}

void PrintGroup(const ztgate::v1::Group& group) {
  std::printf("group %s (mode %s)\n", group.name().c_str(), ModeText(group.mode()).c_str());
  for (const ztgate::v1::Prefix& prefix : group.clients()) {
    absl::StatusOr<IpPrefix> parsed = controlplane::PrefixFromProto(prefix);
    std::printf("  client   %s\n", parsed.ok() ? parsed->ToString().c_str() : "(invalid)");
  }
  for (const std::string& identity : group.identities()) {
    std::printf("  identity %s\n", identity.c_str());
  }
  for (const std::string& pattern : group.allow()) std::printf("  allow    %s\n", pattern.c_str());
  for (const std::string& pattern : group.deny()) std::printf("  deny     %s\n", pattern.c_str());
}

// Prints the policy for people: addresses as text, one line per entry.
int PolicyShow(const Call& call) {
  grpc::ClientContext context;
  call.Prepare(context);
  ztgate::v1::GetPolicyResponse response;
  grpc::Status status = call.stub->GetPolicy(&context, {}, &response);
  if (!status.ok()) return call.Fail(status);
  const ztgate::v1::PolicyDocument& policy = response.policy();
  std::printf("policy version %lu, mode %s\n", policy.version(), ModeText(policy.mode()).c_str());
  for (const ztgate::v1::Group& group : policy.groups()) PrintGroup(group);
  if (policy.has_default_group()) {
    std::printf("default ");
    PrintGroup(policy.default_group());
  }
  return 0;
}

int PolicyReplace(const Call& call, std::vector<std::string> args) {
  const bool revoke = TakeRevoke(args);
  if (args.size() != 3) return Usage("usage: policy replace FILE [--revoke]");
  std::ifstream in(args[2]);
  if (!in) return Usage(("cannot open " + args[2]).c_str());
  std::stringstream text;
  text << in.rdbuf();
  ztgate::v1::ReplacePolicyRequest request;
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), request.mutable_policy())) {
    return Usage(("invalid policy text in " + args[2] + " (use the format of policy get)").c_str());
  }
  request.set_expected_version(request.policy().version());
  request.set_revoke(revoke);
  grpc::ClientContext context;
  call.Prepare(context);
  ztgate::v1::ReplacePolicyResponse response;
  grpc::Status status = call.stub->ReplacePolicy(&context, request, &response);
  if (!status.ok()) return call.Fail(status);
  std::printf("policy version %lu, %lu flow(s) revoked\n", response.version(),
              response.revoked_flows());
  return 0;
}

int PolicyPatterns(const Call& call, std::vector<std::string> args) {
  const bool revoke = TakeRevoke(args);
  if (args.size() < 5 || (args[3] != "allow" && args[3] != "deny")) {
    return Usage("usage: policy add|remove GROUP allow|deny PATTERN... [--revoke]");
  }
  const auto list = args[3] == "allow" ? ztgate::v1::PATTERN_LIST_ALLOW
                                       : ztgate::v1::PATTERN_LIST_DENY;
  grpc::ClientContext context;
  call.Prepare(context);
  grpc::Status status;
  if (args[1] == "add") {
    ztgate::v1::AddPatternsRequest request;
    request.set_group(args[2]);
    request.set_list(list);
    request.set_revoke(revoke);
    for (size_t i = 4; i < args.size(); ++i) request.add_patterns(args[i]);
    ztgate::v1::AddPatternsResponse response;
    status = call.stub->AddPatterns(&context, request, &response);
    if (status.ok()) {
      std::printf("policy version %lu, %u added", response.version(), response.added());
      if (revoke) std::printf(", %lu flow(s) revoked", response.revoked_flows());
      std::printf("\n");
    }
  } else {
    ztgate::v1::RemovePatternsRequest request;
    request.set_group(args[2]);
    request.set_list(list);
    request.set_revoke(revoke);
    for (size_t i = 4; i < args.size(); ++i) request.add_patterns(args[i]);
    ztgate::v1::RemovePatternsResponse response;
    status = call.stub->RemovePatterns(&context, request, &response);
    if (status.ok()) {
      std::printf("policy version %lu, %u removed, %lu flow(s) revoked\n", response.version(),
                  response.removed(), response.revoked_flows());
    }
  }
  return status.ok() ? 0 : call.Fail(status);
}

int PolicyMode(const Call& call, std::vector<std::string> args) {
  const bool revoke = TakeRevoke(args);
  if (args.size() < 3 || args.size() > 4 || (args[2] != "enforce" && args[2] != "audit")) {
    return Usage("usage: policy mode enforce|audit [GROUP] [--revoke]");
  }
  ztgate::v1::SetPolicyModeRequest request;
  request.set_mode(args[2] == "audit" ? ztgate::v1::MODE_AUDIT : ztgate::v1::MODE_ENFORCE);
  if (args.size() == 4) request.set_group(args[3]);
  request.set_revoke(revoke);
  grpc::ClientContext context;
  call.Prepare(context);
  ztgate::v1::SetPolicyModeResponse response;
  grpc::Status status = call.stub->SetPolicyMode(&context, request, &response);
  if (!status.ok()) return call.Fail(status);
  std::printf("policy version %lu, mode %s%s", response.version(), args[2].c_str(),
              args.size() == 4 ? (" for group " + args[3]).c_str() : " (global, dataplanes too)");
  if (revoke) std::printf(", %lu flow(s) revoked", response.revoked_flows());
  std::printf("\n");
  return 0;
}

int ExceptionsSet(const Call& call, const std::vector<std::string>& args) {
  ztgate::v1::SetExceptionsRequest request;
  for (size_t i = 2; i < args.size(); ++i) {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(args[i]);
    if (!prefix.ok()) return Usage(std::string(ToStd(prefix.status().message())).c_str());
    controlplane::PrefixToProto(*prefix, *request.add_prefixes());
  }
  grpc::ClientContext context;
  call.Prepare(context);
  ztgate::v1::SetExceptionsResponse response;
  grpc::Status status = call.stub->SetExceptions(&context, request, &response);
  if (!status.ok()) return call.Fail(status);
  std::printf("%u exception prefix(es) set on every dataplane\n", response.prefixes());
  return 0;
}

int DecisionsWatch(const Call& call, const std::vector<std::string>& args) {
  uint64_t limit = 0;  // 0: until interrupted.
  if (args.size() == 4 && args[2] == "--count") {
    if (!ParseDecimal(args[3], &limit)) return Usage("--count needs a number");
  } else if (args.size() != 2) {
    return Usage("usage: decisions watch [--count N]");
  }
  grpc::ClientContext context;  // No deadline: a watch runs until stopped.
  auto reader = call.stub->WatchDecisions(&context, ztgate::v1::WatchDecisionsRequest());
  ztgate::v1::WatchDecisionsResponse response;
  uint64_t seen = 0;
  while (reader->Read(&response)) {
    if (response.lost() > 0) std::fprintf(stderr, "ztgatectl: %lu decision(s) lost\n", response.lost());
    for (const ztgate::v1::Decision& decision : response.decisions()) {
      controlplane::DecisionRecord record;
      record.time = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(decision.time()));
      record.client = IpAddress::FromBytes(decision.client()).value_or(IpAddress());
      record.identity = decision.identity();
      record.group = decision.group();
      record.name = decision.name();
      record.qtype = static_cast<uint16_t>(decision.qtype());
      record.verdict = VerdictFromLabel(decision.verdict());
      record.rcode = static_cast<uint16_t>(decision.rcode());
      for (const std::string& address : decision.addresses()) {
        if (auto parsed = IpAddress::FromBytes(address); parsed.ok()) record.addresses.push_back(*parsed);
      }
      record.installed_lifetime = absl::Nanoseconds(
          TimeUtil::DurationToNanoseconds(decision.installed_lifetime()));
      record.install_latency =
          absl::Nanoseconds(TimeUtil::DurationToNanoseconds(decision.install_latency()));
      record.transport = decision.transport();
      std::printf("%s\n", controlplane::DecisionToJson(record).c_str());
      std::fflush(stdout);
      if (limit != 0 && ++seen >= limit) {
        context.TryCancel();
        return 0;
      }
    }
  }
  grpc::Status status = reader->Finish();
  return status.ok() ? 0 : call.Fail(status);
}

int AuditReport(const Call& call, const std::vector<std::string>& args) {
  ztgate::v1::GetAuditReportRequest request;
  if (args.size() == 4 && args[2] == "--client") {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(args[3]);
    if (!prefix.ok()) return Usage(std::string(ToStd(prefix.status().message())).c_str());
    controlplane::PrefixToProto(*prefix, *request.add_clients());
  } else if (args.size() != 2) {
    return Usage("usage: audit report [--client PREFIX]");
  }
  grpc::ClientContext context;
  call.Prepare(context);
  ztgate::v1::GetAuditReportResponse response;
  grpc::Status status = call.stub->GetAuditReport(&context, request, &response);
  if (!status.ok()) return call.Fail(status);
  if (response.clients().empty()) std::printf("no audit findings\n");
  for (const ztgate::v1::AuditClientReport& client : response.clients()) {
    std::printf("client %s (group %s)\n", AddressText(client.client()).c_str(),
                client.group().empty() ? "none" : client.group().c_str());
    for (const std::string& name : client.would_be_denied_names()) {
      std::printf("  would be denied: %s\n", name.c_str());
    }
    for (const std::string& destination : client.unexplained_destinations()) {
      // In audit mode these packets passed; the dataplane sampled them as
      // the drops enforcement would make.
      std::printf("  dropped or audited, no name explains it: %s\n",
                  AddressText(destination).c_str());
    }
    for (const std::string& pattern : client.proposed_allow()) {
      std::printf("  proposed allow: %s\n", pattern.c_str());
    }
    if (!client.proposed_allow().empty() && !client.group().empty()) {
      std::printf("  apply with: ztgatectl policy add %s allow", client.group().c_str());
      for (const std::string& pattern : client.proposed_allow()) std::printf(" '%s'", pattern.c_str());
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace

bool IsControlCommand(const std::vector<std::string>& command) {
  if (command.empty()) return false;
  const std::string& word = command[0];
  return word == "control" || word == "policy" || word == "exceptions" || word == "decisions" ||
         word == "audit";
}

int RunControlCommand(const std::shared_ptr<grpc::Channel>& channel, const std::string& target,
                      absl::Duration timeout, const std::vector<std::string>& command) {
  const Call call{ztgate::v1::Policy::NewStub(channel), target, timeout};
  const std::string first = command[0];
  const std::string second = command.size() > 1 ? command[1] : "";
  if (first == "control" && second == "stats") return ControlStats(call);
  if (first == "policy" && second == "get") return PolicyGet(call);
  if (first == "policy" && second == "show") return PolicyShow(call);
  if (first == "policy" && second == "replace") return PolicyReplace(call, command);
  if (first == "policy" && (second == "add" || second == "remove")) {
    return PolicyPatterns(call, command);
  }
  if (first == "policy" && second == "mode") return PolicyMode(call, command);
  if (first == "exceptions" && second == "set") return ExceptionsSet(call, command);
  if (first == "decisions" && second == "watch") return DecisionsWatch(call, command);
  if (first == "audit" && second == "report") return AuditReport(call, command);
  return Usage(("unknown command \"" + first + " " + second + "\"").c_str());
}

}  // namespace ztgate::ctl
