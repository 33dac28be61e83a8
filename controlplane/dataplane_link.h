// The control plane's connection to one dataplane's FlowTable API.
//
// A link holds one InstallFlows stream. Flows queued by concurrent answers
// are coalesced: the writer sends everything queued since its last write as
// one batch (up to batch_max_flows), so batches grow with load and an idle
// link sends single-answer batches at once. Acknowledgements arrive in
// order on a reader thread, which updates the mirror and the waiters.
//
// On every (re)connection the link resyncs before it sends new batches: it
// re-applies the exception subnets and mode set through the API, reads the
// dataplane's table with ListFlows, adopts entries the mirror
// lacks (so a restarted control plane rebuilds its mirror), and replays
// live mirror entries the dataplane lacks (so a restarted dataplane gets
// back every flow that was allowed). Waiters queued meanwhile stay queued
// until their deadline.
#ifndef ZTGATE_CONTROLPLANE_DATAPLANE_LINK_H_
#define ZTGATE_CONTROLPLANE_DATAPLANE_LINK_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "controlplane/control_config.h"
#include "controlplane/flow_mirror.h"
#include "controlplane/install_waiter.h"
#include "controlplane/latency_histogram.h"
#include "ztgate/v1/flowtable.grpc.pb.h"
#include "ztgate/v1/policy.pb.h"

namespace ztgate::controlplane {

class DataplaneLink {
 public:
  DataplaneLink(int index, DataplaneTarget target, InstallConfig install);
  ~DataplaneLink();

  DataplaneLink(const DataplaneLink&) = delete;
  DataplaneLink& operator=(const DataplaneLink&) = delete;

  // Creates the channel and starts the connection thread.
  absl::Status Start();
  // Closes the stream and joins the threads; queued waiters fail.
  void Stop();

  // True when this dataplane enforces for `client`.
  bool Serves(const IpAddress& client) const;
  // Remaining installed lifetime of a pair, from the mirror.
  std::optional<absl::Duration> Remaining(const FlowMirror::Key& key, absl::Time now) const;
  // Queues flows for installation; `waiter` must have Expect(index()) set.
  void Enqueue(std::vector<FlowToInstall> flows, std::shared_ptr<InstallWaiter> waiter);

  // Removes flows from the dataplane and the mirror. Returns how many the
  // dataplane removed.
  absl::StatusOr<uint32_t> RemoveFlows(const std::vector<FlowMirror::Key>& keys);
  // The live flows the mirror holds.
  std::vector<FlowToInstall> MirroredFlows() const;
  // Sets the exception subnets or the mode now, and again after every
  // reconnection, so a restarted dataplane gets them back.
  absl::Status SetExceptions(const std::vector<IpPrefix>& prefixes);
  absl::Status SetMode(ztgate::v1::Mode mode);
  absl::Status SetAuditClients(const std::vector<IpPrefix>& prefixes);
  // Records the mode and audit clients to apply at the next (re)connection,
  // without calling the dataplane now: the start-up state.
  void SetDesiredAudit(ztgate::v1::Mode mode, const std::vector<IpPrefix>& audit_clients);

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  int index() const { return index_; }
  const std::string& target() const { return target_.target; }
  bool synced() const;
  ztgate::v1::DataplaneStatus Status() const;

 private:
  struct Pending {
    std::vector<FlowToInstall> flows;
    std::shared_ptr<InstallWaiter> waiter;  // Null for resync replays.
    absl::Time enqueued;
  };
  struct InFlight {
    std::vector<Pending> parts;
    absl::Time sent;
  };
  using Stream = grpc::ClientReaderWriter<ztgate::v1::InstallFlowsRequest,
                                          ztgate::v1::InstallFlowsResponse>;

  void RunConnections();
  bool WaitForChannel();
  void RunSession();
  absl::Status Resync(Stream& stream);
  absl::StatusOr<std::vector<FlowToInstall>> ListDataplaneFlows();
  void WriteLoop(Stream& stream);
  void ReadLoop(Stream& stream);
  bool SendBatch(Stream& stream, std::vector<Pending> parts);
  using FlowErrors = absl::flat_hash_map<uint32_t, const ztgate::v1::FlowError*>;
  void HandleResponse(const ztgate::v1::InstallFlowsResponse& response);
  void RecordAcknowledged(const InFlight& batch, const FlowErrors& errors);
  void CompleteWaiters(InFlight& batch, const FlowErrors& errors);
  void FailInFlight(const absl::Status& status);
  void SleepBackoff(absl::Duration delay);
  // Makes one unary call with the settings deadline; `call` sends it.
  absl::Status CallSetting(const char* method,
                           const std::function<grpc::Status(grpc::ClientContext&)>& call);
  absl::Status ApplyExceptions(const std::vector<IpPrefix>& prefixes);
  absl::Status ApplyMode(ztgate::v1::Mode mode);
  absl::Status ApplyAuditClients(const std::vector<IpPrefix>& prefixes);
  absl::Status ApplyDesiredSettings();

  const int index_;
  const DataplaneTarget target_;
  const InstallConfig install_;
  std::vector<IpPrefix> clients_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ztgate::v1::FlowTable::Stub> stub_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  // Wakes the writer only: on queued flows, a broken stream or Stop().
  // Acknowledgements do not wake it, which saves a context switch per
  // answer on a gateway whose other cores busy-poll.
  std::condition_variable queue_changed_;
  bool stopping_ = false;
  bool connected_ = false;
  bool synced_ = false;
  bool broken_ = false;  // The current stream failed; the session ends.
  grpc::ClientContext* context_ = nullptr;  // Current stream's, for Stop().
  std::deque<Pending> queue_;
  absl::flat_hash_map<uint64_t, InFlight> in_flight_;
  uint64_t next_batch_id_ = 1;
  FlowMirror mirror_;
  // Settings made through the API, replayed on every resync.
  std::optional<std::vector<IpPrefix>> desired_exceptions_;
  std::optional<ztgate::v1::Mode> desired_mode_;
  std::optional<std::vector<IpPrefix>> desired_audit_clients_;

  uint64_t batches_sent_ = 0;
  uint64_t install_failures_ = 0;
  LatencyHistogram latency_;
  std::thread thread_;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_DATAPLANE_LINK_H_
