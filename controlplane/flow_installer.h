// Install before release: the control plane's side of the FlowTable API.
//
// Install() takes the flows of one answer and calls back once every
// dataplane serving the client has acknowledged them, or with an error as
// soon as one dataplane rejects a flow, disconnects, or the acknowledgement
// deadline (install.ack_timeout) passes. The caller releases the answer
// only on success and answers SERVFAIL otherwise: a failed install never
// yields an unprotected answer.
//
// A flow is skipped for a dataplane whose mirror shows the pair installed
// with at least half the requested lifetime left; the callback then reports
// the remaining lifetime, so the caller caps the answer's TTLs at what the
// dataplane really allows. With no dataplane configured, or none serving
// the client, Install() succeeds at once: the daemon is then a protective
// DNS server only.
#ifndef ZTGATE_CONTROLPLANE_FLOW_INSTALLER_H_
#define ZTGATE_CONTROLPLANE_FLOW_INSTALLER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "controlplane/control_config.h"
#include "controlplane/dataplane_audit.h"
#include "controlplane/dataplane_link.h"
#include "controlplane/install_waiter.h"

namespace ztgate::controlplane {

class FlowInstaller {
 public:
  FlowInstaller(std::vector<DataplaneTarget> dataplanes, InstallConfig install);
  ~FlowInstaller();

  absl::Status Start();
  void Stop();

  // Installs `flows` (all for one client) on every dataplane serving it.
  // `done` runs exactly once, on an installer thread.
  void Install(const IpAddress& client, std::vector<FlowToInstall> flows, InstallCallback done);

  // Removes, from every dataplane, the installed flows `revoked` selects.
  // Returns how many flows the dataplanes removed.
  absl::StatusOr<uint64_t> Revoke(const std::function<bool(const FlowToInstall&)>& revoked);
  // Sets exception subnets or the mode on every dataplane (and again after
  // each one reconnects). Fails naming the first dataplane that failed.
  absl::Status SetExceptions(const std::vector<IpPrefix>& prefixes);
  absl::Status SetMode(ztgate::v1::Mode mode);
  // Sets the mode and audit client list of every dataplane (see
  // dataplane_audit.h). Before Start(), only records them for the first
  // connection.
  absl::Status SetAudit(const DataplaneAudit& audit);
  // The dataplanes' API channels, for streams such as WatchDrops.
  std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> Channels() const;

  bool enabled() const { return !links_.empty(); }
  // True when every dataplane is connected and resynced.
  bool AllSynced() const;
  std::vector<ztgate::v1::DataplaneStatus> Status() const;
  uint64_t deadline_failures() const;

 private:
  struct Deadline {
    absl::Time at;
    std::weak_ptr<InstallWaiter> waiter;
    bool operator>(const Deadline& other) const { return at > other.at; }
  };

  void RunDeadlines();
  void WatchDeadline(const std::shared_ptr<InstallWaiter>& waiter);
  std::string PendingTargets(uint64_t pending_links) const;

  const InstallConfig install_;
  std::vector<std::unique_ptr<DataplaneLink>> links_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  uint64_t deadline_failures_ = 0;
  std::thread deadline_thread_;
  bool started_ = false;  // Set by Start(), which runs before any API call.
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_FLOW_INSTALLER_H_
