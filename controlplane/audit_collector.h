// What audit mode found, per client: names answered only because of audit
// mode (from the decisions) and destinations the dataplanes would have
// dropped (from their sampled WatchDrops streams) that no answer to that
// client explains. GetAuditReport turns both into a proposed allow list an
// admin can review and apply with AddPatterns.
//
// Memory is bounded: at most kMaxClients clients, kMaxNamesPerClient names
// and kMaxDestinationsPerClient destinations each; what does not fit is
// counted, not stored.
#ifndef ZTGATE_CONTROLPLANE_AUDIT_COLLECTOR_H_
#define ZTGATE_CONTROLPLANE_AUDIT_COLLECTOR_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "controlplane/decision.h"
#include "resolver/policy/policy.h"
#include "ztgate/v1/policy.pb.h"

namespace ztgate::controlplane {

class AuditCollector {
 public:
  static constexpr size_t kMaxClients = 65536;
  static constexpr size_t kMaxNamesPerClient = 1024;
  static constexpr size_t kMaxDestinationsPerClient = 1024;
  // Siblings under one parent name before the proposal is a wildcard.
  static constexpr size_t kWildcardThreshold = 3;

  explicit AuditCollector(resolver::policy::PolicyHolder* policy) : policy_(policy) {}
  ~AuditCollector() { Stop(); }

  // Starts one WatchDrops reader per dataplane channel.
  void Start(std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> dataplanes);
  void Stop();

  // Decision consumer: records would-be-denied names and the addresses
  // each client received in its answers.
  void RecordDecision(const DecisionRecord& record);
  // Records one sampled drop (client, destination) from a dataplane.
  void RecordDrop(const IpAddress& client, const IpAddress& destination);

  ztgate::v1::GetAuditReportResponse Report(const std::vector<IpPrefix>& clients) const;

 private:
  struct ClientFindings {
    std::set<std::string> would_be_denied;
    std::set<IpAddress> dropped;
    std::set<IpAddress> resolved;  // Addresses this client received in answers.
  };

  ClientFindings* FindingsFor(const IpAddress& client);
  void WatchDrops(std::string target, std::shared_ptr<grpc::Channel> channel);

  resolver::policy::PolicyHolder* policy_;
  mutable std::mutex mutex_;
  std::map<IpAddress, ClientFindings> clients_;
  uint64_t overflow_ = 0;

  std::atomic<bool> stopping_{false};
  std::mutex contexts_mutex_;
  std::vector<grpc::ClientContext*> contexts_;
  std::vector<std::thread> watchers_;
};

// Proposes allow patterns for names: exact names, or "*.parent" when at
// least `threshold` names share a parent.
std::vector<std::string> ProposeAllowPatterns(const std::set<std::string>& names,
                                              size_t threshold);

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_AUDIT_COLLECTOR_H_
