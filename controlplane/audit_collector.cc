// Audit findings; see audit_collector.h.
#include "controlplane/audit_collector.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "ztgate/v1/flowtable.grpc.pb.h"

namespace ztgate::controlplane {
namespace {

constexpr auto kWatchRetry = std::chrono::seconds(1);

std::string ParentOf(const std::string& name) {
  const size_t dot = name.find('.');
  return dot == std::string::npos ? "" : name.substr(dot + 1);
}

}  // namespace

std::vector<std::string> ProposeAllowPatterns(const std::set<std::string>& names,
                                              size_t threshold) {
  std::map<std::string, std::vector<std::string>> by_parent;
  for (const std::string& name : names) by_parent[ParentOf(name)].push_back(name);
  std::vector<std::string> patterns;
  for (const auto& [parent, children] : by_parent) {
    // A parent with a single label (a TLD) never becomes a wildcard.
    if (children.size() >= threshold && parent.find('.') != std::string::npos) {
      patterns.push_back("*." + parent);
    } else {
      patterns.insert(patterns.end(), children.begin(), children.end());
    }
  }
  return patterns;
}

void AuditCollector::Start(
    std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> dataplanes) {
  for (auto& [target, channel] : dataplanes) {
    watchers_.emplace_back([this, target = target, channel = channel] {
      WatchDrops(target, channel);
    });
  }
}

void AuditCollector::Stop() {
  stopping_.store(true);
  {
    std::lock_guard lock(contexts_mutex_);
    for (grpc::ClientContext* context : contexts_) context->TryCancel();
  }
  for (std::thread& watcher : watchers_) watcher.join();
  watchers_.clear();
}

void AuditCollector::WatchDrops(std::string target, std::shared_ptr<grpc::Channel> channel) {
  auto stub = ztgate::v1::FlowTable::NewStub(channel);
  while (!stopping_.load()) {
    grpc::ClientContext context;
    {
      std::lock_guard lock(contexts_mutex_);
      if (stopping_.load()) return;
      contexts_.push_back(&context);
    }
    auto reader = stub->WatchDrops(&context, ztgate::v1::WatchDropsRequest());
    ztgate::v1::WatchDropsResponse response;
    while (reader->Read(&response)) {
      for (const ztgate::v1::DropEvent& drop : response.drops()) {
        absl::StatusOr<IpAddress> client = IpAddress::FromBytes(drop.client());
        absl::StatusOr<IpAddress> destination = IpAddress::FromBytes(drop.destination());
        if (client.ok() && destination.ok()) RecordDrop(*client, *destination);
      }
    }
    const grpc::Status status = reader->Finish();
    {
      std::lock_guard lock(contexts_mutex_);
      std::erase(contexts_, &context);
    }
    if (stopping_.load()) return;
    spdlog::debug("dataplane {}: WatchDrops ended ({}); retrying", target, status.error_message());
    std::this_thread::sleep_for(kWatchRetry);
  }
}

AuditCollector::ClientFindings* AuditCollector::FindingsFor(const IpAddress& client) {
  auto it = clients_.find(client);
  if (it != clients_.end()) return &it->second;
  if (clients_.size() >= kMaxClients) {
    ++overflow_;
    return nullptr;
  }
  return &clients_[client];
}

void AuditCollector::RecordDecision(const DecisionRecord& record) {
  const bool audit_denied = record.verdict == DecisionVerdict::kAuditDenied;
  if (!audit_denied && record.addresses.empty()) return;
  std::lock_guard lock(mutex_);
  ClientFindings* findings = FindingsFor(record.client);
  if (findings == nullptr) return;
  if (audit_denied && findings->would_be_denied.size() < kMaxNamesPerClient) {
    findings->would_be_denied.insert(record.name);
  }
  for (const IpAddress& address : record.addresses) {
    if (findings->resolved.size() >= kMaxDestinationsPerClient) break;
    findings->resolved.insert(address);
    findings->dropped.erase(address);
  }
}

void AuditCollector::RecordDrop(const IpAddress& client, const IpAddress& destination) {
  std::lock_guard lock(mutex_);
  ClientFindings* findings = FindingsFor(client);
  if (findings == nullptr || findings->resolved.contains(destination)) return;
  if (findings->dropped.size() < kMaxDestinationsPerClient) findings->dropped.insert(destination);
}

ztgate::v1::GetAuditReportResponse AuditCollector::Report(
    const std::vector<IpPrefix>& clients) const {
  std::shared_ptr<const resolver::policy::Policy> policy = policy_->Load();
  ztgate::v1::GetAuditReportResponse response;
  std::lock_guard lock(mutex_);
  for (const auto& [client, findings] : clients_) {
    if (!clients.empty() && std::none_of(clients.begin(), clients.end(),
                                         [&](const IpPrefix& p) { return p.Contains(client); })) {
      continue;
    }
    if (findings.would_be_denied.empty() && findings.dropped.empty()) continue;
    ztgate::v1::AuditClientReport* report = response.add_clients();
    report->set_client(client.ToBytes());
    const resolver::policy::Group* group = policy->SelectGroup(client, {});
    if (group != nullptr) report->set_group(group->name);
    for (const std::string& name : findings.would_be_denied) report->add_would_be_denied_names(name);
    for (const IpAddress& destination : findings.dropped) {
      report->add_unexplained_destinations(destination.ToBytes());
    }
    for (const std::string& pattern :
         ProposeAllowPatterns(findings.would_be_denied, kWildcardThreshold)) {
      report->add_proposed_allow(pattern);
    }
  }
  return response;
}

}  // namespace ztgate::controlplane
