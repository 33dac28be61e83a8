// The connection to one dataplane; see dataplane_link.h.
#include "controlplane/dataplane_link.h"

#include <spdlog/spdlog.h>

#include "common/grpc_listener.h"
#include "common/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace ztgate::controlplane {
namespace {

constexpr absl::Duration kMinBackoff = absl::Milliseconds(50);
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);
// How long one connection attempt waits for the channel to become ready.
constexpr absl::Duration kConnectAttempt = absl::Milliseconds(500);
// How often an idle link sweeps expired mirror entries.
constexpr absl::Duration kSweepInterval = absl::Seconds(1);
constexpr absl::Duration kListFlowsTimeout = absl::Seconds(30);

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      ToAbsl(status.error_message()));
}

void AddPrefixes(const std::vector<IpPrefix>& prefixes,
                 google::protobuf::RepeatedPtrField<ztgate::v1::Prefix>* out) {
  for (const IpPrefix& prefix : prefixes) {
    ztgate::v1::Prefix* added = out->Add();
    added->set_address(prefix.address().ToBytes());
    added->set_prefix_length(static_cast<uint32_t>(prefix.length()));
  }
}

void SetDuration(google::protobuf::Duration* out, absl::Duration duration) {
  const int64_t nanos = absl::ToInt64Nanoseconds(duration);
  out->set_seconds(nanos / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

}  // namespace

DataplaneLink::DataplaneLink(int index, DataplaneTarget target, InstallConfig install)
    : index_(index), target_(std::move(target)), install_(install), clients_(target_.clients) {}

DataplaneLink::~DataplaneLink() { Stop(); }

absl::Status DataplaneLink::Start() {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(target_.target, target_.tls_certificate_file, target_.tls_key_file,
                             target_.tls_ca_file);
  if (!credentials.ok()) return credentials.status();
  channel_ = grpc::CreateChannel(target_.target, *credentials);
  stub_ = ztgate::v1::FlowTable::NewStub(channel_);
  thread_ = std::thread([this] { RunConnections(); });
  return absl::OkStatus();
}

void DataplaneLink::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  changed_.notify_all();
  queue_changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  for (Pending& pending : queue_) {
    if (pending.waiter) pending.waiter->Fail(absl::UnavailableError("control plane stopping"));
  }
  queue_.clear();
}

bool DataplaneLink::Serves(const IpAddress& client) const {
  if (clients_.empty()) return true;
  for (const IpPrefix& prefix : clients_) {
    if (prefix.Contains(client)) return true;
  }
  return false;
}

std::optional<absl::Duration> DataplaneLink::Remaining(const FlowMirror::Key& key,
                                                       absl::Time now) const {
  std::lock_guard lock(mutex_);
  return mirror_.Remaining(key, now);
}

void DataplaneLink::Enqueue(std::vector<FlowToInstall> flows,
                            std::shared_ptr<InstallWaiter> waiter) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(flows), std::move(waiter), absl::Now()});
  }
  queue_changed_.notify_one();
}

bool DataplaneLink::synced() const {
  std::lock_guard lock(mutex_);
  return synced_;
}

ztgate::v1::DataplaneStatus DataplaneLink::Status() const {
  ztgate::v1::DataplaneStatus status;
  std::lock_guard lock(mutex_);
  status.set_target(target_.target);
  status.set_connected(connected_);
  status.set_synced(synced_);
  status.set_flows_mirrored(mirror_.size());
  status.set_batches_sent(batches_sent_);
  status.set_install_failures(install_failures_);
  SetDuration(status.mutable_install_latency_p50(), latency_.Quantile(0.50));
  SetDuration(status.mutable_install_latency_p99(), latency_.Quantile(0.99));
  return status;
}

void DataplaneLink::RunConnections() {
  absl::Duration backoff = kMinBackoff;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (!WaitForChannel()) continue;
    const absl::Time started = absl::Now();
    RunSession();
    // A session that lasted a while was healthy: retry quickly after it.
    backoff = absl::Now() - started > absl::Seconds(5) ? kMinBackoff
                                                       : std::min(backoff * 2, kMaxBackoff);
    SleepBackoff(backoff);
  }
}

bool DataplaneLink::WaitForChannel() {
  const auto deadline = absl::ToChronoTime(absl::Now() + kConnectAttempt);
  if (channel_->WaitForConnected(deadline)) return true;
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, absl::ToChronoMilliseconds(kMinBackoff), [this] { return stopping_; });
  return false;
}

void DataplaneLink::SleepBackoff(absl::Duration delay) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, absl::ToChronoMilliseconds(delay), [this] { return stopping_; });
}

void DataplaneLink::RunSession() {
  grpc::ClientContext context;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    context_ = &context;
    broken_ = false;
  }
  std::unique_ptr<Stream> stream = stub_->InstallFlows(&context);
  {
    std::lock_guard lock(mutex_);
    connected_ = true;
  }
  std::thread reader([this, &stream] { ReadLoop(*stream); });

  absl::Status resync = Resync(*stream);
  if (resync.ok()) {
    WriteLoop(*stream);
  } else {
    spdlog::warn("dataplane {}: resync failed: {}", target_.target, resync.message());
  }

  context.TryCancel();
  reader.join();
  const grpc::Status finished = stream->Finish();
  {
    std::lock_guard lock(mutex_);
    context_ = nullptr;
    connected_ = false;
    synced_ = false;
  }
  FailInFlight(absl::UnavailableError(
      StrCat("dataplane ", target_.target, " disconnected: ", finished.error_message())));
  if (!finished.ok() && finished.error_code() != grpc::StatusCode::CANCELLED) {
    spdlog::warn("dataplane {}: install stream ended: {} (code {})", target_.target,
                 finished.error_message(), static_cast<int>(finished.error_code()));
  }
}

absl::StatusOr<std::vector<FlowToInstall>> DataplaneLink::ListDataplaneFlows() {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kListFlowsTimeout));
  std::unique_ptr<grpc::ClientReader<ztgate::v1::ListFlowsResponse>> reader =
      stub_->ListFlows(&context, ztgate::v1::ListFlowsRequest());
  std::vector<FlowToInstall> flows;
  const absl::Time now = absl::Now();
  ztgate::v1::ListFlowsResponse page;
  while (reader->Read(&page)) {
    for (const ztgate::v1::FlowEntry& entry : page.flows()) {
      absl::StatusOr<IpAddress> client = IpAddress::FromBytes(entry.client());
      absl::StatusOr<IpAddress> destination = IpAddress::FromBytes(entry.destination());
      if (!client.ok() || !destination.ok()) continue;
      const absl::Time expires = absl::FromUnixNanos(
          google::protobuf::util::TimeUtil::TimestampToNanoseconds(entry.expires()));
      flows.push_back({*client, *destination, expires - now, entry.name(), nullptr});
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FromGrpc(status);
  return flows;
}

absl::Status DataplaneLink::Resync(Stream& stream) {
  if (absl::Status status = ApplyDesiredSettings(); !status.ok()) return status;
  absl::StatusOr<std::vector<FlowToInstall>> installed = ListDataplaneFlows();
  if (!installed.ok()) return installed.status();
  const absl::Time now = absl::Now();

  std::vector<FlowToInstall> replay;
  {
    std::lock_guard lock(mutex_);
    mirror_.Sweep(now);
    FlowMirror dataplane_view;
    for (const FlowToInstall& flow : *installed) {
      dataplane_view.Record(flow, now);
      mirror_.RecordExpiry({flow.client, flow.destination}, now + flow.lifetime, flow.name);
    }
    // Replay what the dataplane lacks or holds for noticeably less time.
    for (const FlowToInstall& flow : mirror_.LiveFlows(now)) {
      std::optional<absl::Duration> held =
          dataplane_view.Remaining({flow.client, flow.destination}, now);
      if (!held || *held + absl::Seconds(1) < flow.lifetime) replay.push_back(flow);
    }
  }

  size_t sent = 0;
  while (sent < replay.size()) {
    const size_t count = std::min<size_t>(install_.batch_max_flows, replay.size() - sent);
    std::vector<FlowToInstall> chunk(replay.begin() + sent, replay.begin() + sent + count);
    std::vector<Pending> parts;
    parts.push_back({std::move(chunk), nullptr, absl::Now()});
    if (!SendBatch(stream, std::move(parts))) return absl::UnavailableError("resync write failed");
    sent += count;
  }

  // New answers wait until the dataplane acknowledged the whole replay.
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return stopping_ || broken_ || in_flight_.empty(); });
  if (stopping_ || broken_) return absl::UnavailableError("stream closed during resync");
  synced_ = true;
  spdlog::info("dataplane {}: synced, {} flows adopted, {} replayed", target_.target,
               installed->size(), replay.size());
  return absl::OkStatus();
}

void DataplaneLink::WriteLoop(Stream& stream) {
  absl::Time last_sweep = absl::Now();
  while (true) {
    std::vector<Pending> parts;
    {
      std::unique_lock lock(mutex_);
      queue_changed_.wait_for(lock, absl::ToChronoMilliseconds(kSweepInterval),
                        [this] { return stopping_ || broken_ || !queue_.empty(); });
      if (stopping_ || broken_) return;
      if (absl::Now() - last_sweep >= kSweepInterval) {
        mirror_.Sweep(absl::Now());
        last_sweep = absl::Now();
      }
      size_t flows = 0;
      while (!queue_.empty() && (parts.empty() || flows + queue_.front().flows.size() <=
                                                      install_.batch_max_flows)) {
        Pending pending = std::move(queue_.front());
        queue_.pop_front();
        // An answer that already failed (deadline, other dataplane) needs
        // no flows: the client never receives it.
        if (pending.waiter && pending.waiter->done()) continue;
        flows += pending.flows.size();
        parts.push_back(std::move(pending));
      }
    }
    if (!parts.empty() && !SendBatch(stream, std::move(parts))) return;
  }
}

bool DataplaneLink::SendBatch(Stream& stream, std::vector<Pending> parts) {
  FlowBatchBuilder builder;
  for (const Pending& part : parts) {
    for (const FlowToInstall& flow : part.flows) builder.Add(flow);
  }
  uint64_t batch_id = 0;
  {
    std::lock_guard lock(mutex_);
    batch_id = next_batch_id_++;
    in_flight_[batch_id] = InFlight{std::move(parts), absl::Now()};
    ++batches_sent_;
  }
  if (stream.Write(builder.Take(batch_id))) return true;
  std::lock_guard lock(mutex_);
  broken_ = true;
  changed_.notify_all();
  queue_changed_.notify_all();
  return false;
}

void DataplaneLink::ReadLoop(Stream& stream) {
  ztgate::v1::InstallFlowsResponse response;
  while (stream.Read(&response)) HandleResponse(response);
  std::lock_guard lock(mutex_);
  broken_ = true;
  changed_.notify_all();
  queue_changed_.notify_all();
}

void DataplaneLink::HandleResponse(const ztgate::v1::InstallFlowsResponse& response) {
  InFlight batch;
  {
    std::lock_guard lock(mutex_);
    auto it = in_flight_.find(response.batch_id());
    if (it == in_flight_.end()) {
      spdlog::warn("dataplane {}: acknowledgement for unknown batch {}", target_.target,
                   response.batch_id());
      return;
    }
    batch = std::move(it->second);
    in_flight_.erase(it);
  }
  // Flow indexes count across the batch's parts, in the order sent.
  absl::flat_hash_map<uint32_t, const ztgate::v1::FlowError*> errors;
  for (const ztgate::v1::FlowError& error : response.errors()) {
    errors.try_emplace(error.flow_index(), &error);
  }
  RecordAcknowledged(batch, errors);
  CompleteWaiters(batch, errors);
}

void DataplaneLink::RecordAcknowledged(const InFlight& batch, const FlowErrors& errors) {
  std::lock_guard lock(mutex_);
  uint32_t flow_index = 0;
  for (const Pending& part : batch.parts) {
    for (const FlowToInstall& flow : part.flows) {
      // The dataplane counts a lifetime from when it installs, which is
      // after `sent`, so the mirror's deadline is never later than its own.
      if (!errors.contains(flow_index)) mirror_.Record(flow, batch.sent);
      ++flow_index;
    }
  }
  if (!errors.empty()) ++install_failures_;
  if (in_flight_.empty()) changed_.notify_all();
}

void DataplaneLink::CompleteWaiters(InFlight& batch, const FlowErrors& errors) {
  const absl::Time acknowledged = absl::Now();
  uint32_t first_flow = 0;
  for (Pending& part : batch.parts) {
    const ztgate::v1::FlowError* error = nullptr;
    for (uint32_t i = 0; i < part.flows.size() && error == nullptr; ++i) {
      auto it = errors.find(first_flow + i);
      if (it != errors.end()) error = it->second;
    }
    first_flow += static_cast<uint32_t>(part.flows.size());

    if (!part.waiter) {
      if (error != nullptr) {
        spdlog::warn("dataplane {}: replayed flow rejected: {}", target_.target, error->message());
      }
      continue;
    }
    latency_.Record(acknowledged - part.enqueued);
    if (error == nullptr) {
      part.waiter->Acknowledge(index_);
      continue;
    }
    part.waiter->Fail(absl::Status(
        static_cast<absl::StatusCode>(error->code()),
        ToAbsl(StrCat("dataplane ", target_.target, " rejected a flow: ", error->message()))));
  }
}

absl::StatusOr<uint32_t> DataplaneLink::RemoveFlows(const std::vector<FlowMirror::Key>& keys) {
  ztgate::v1::RemoveFlowsRequest request;
  for (const FlowMirror::Key& key : keys) {
    ztgate::v1::FlowKey* flow = request.add_flows();
    flow->set_client(key.first.ToBytes());
    flow->set_destination(key.second.ToBytes());
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kListFlowsTimeout));
  ztgate::v1::RemoveFlowsResponse response;
  grpc::Status status = stub_->RemoveFlows(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  std::lock_guard lock(mutex_);
  for (const FlowMirror::Key& key : keys) mirror_.Erase(key);
  return response.removed();
}

std::vector<FlowToInstall> DataplaneLink::MirroredFlows() const {
  std::lock_guard lock(mutex_);
  return mirror_.LiveFlows(absl::Now());
}

absl::Status DataplaneLink::SetExceptions(const std::vector<IpPrefix>& prefixes) {
  {
    std::lock_guard lock(mutex_);
    desired_exceptions_ = prefixes;
  }
  return ApplyExceptions(prefixes);
}

absl::Status DataplaneLink::SetMode(ztgate::v1::Mode mode) {
  {
    std::lock_guard lock(mutex_);
    desired_mode_ = mode;
  }
  return ApplyMode(mode);
}

absl::Status DataplaneLink::SetAuditClients(const std::vector<IpPrefix>& prefixes) {
  {
    std::lock_guard lock(mutex_);
    desired_audit_clients_ = prefixes;
  }
  return ApplyAuditClients(prefixes);
}

void DataplaneLink::SetDesiredAudit(ztgate::v1::Mode mode,
                                    const std::vector<IpPrefix>& audit_clients) {
  std::lock_guard lock(mutex_);
  desired_mode_ = mode;
  desired_audit_clients_ = audit_clients;
}

absl::Status DataplaneLink::CallSetting(
    const char* method, const std::function<grpc::Status(grpc::ClientContext&)>& call) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kListFlowsTimeout));
  grpc::Status status = call(context);
  if (!status.ok()) {
    return absl::UnavailableError(
        StrCat(method, " on ", target_.target, " failed: ", status.error_message()));
  }
  return absl::OkStatus();
}

absl::Status DataplaneLink::ApplyExceptions(const std::vector<IpPrefix>& prefixes) {
  ztgate::v1::SetExceptionsRequest request;
  AddPrefixes(prefixes, request.mutable_prefixes());
  ztgate::v1::SetExceptionsResponse response;
  return CallSetting("SetExceptions", [&](grpc::ClientContext& context) {
    return stub_->SetExceptions(&context, request, &response);
  });
}

absl::Status DataplaneLink::ApplyMode(ztgate::v1::Mode mode) {
  ztgate::v1::SetModeRequest request;
  request.set_mode(mode);
  ztgate::v1::SetModeResponse response;
  return CallSetting("SetMode", [&](grpc::ClientContext& context) {
    return stub_->SetMode(&context, request, &response);
  });
}

absl::Status DataplaneLink::ApplyAuditClients(const std::vector<IpPrefix>& prefixes) {
  ztgate::v1::SetAuditClientsRequest request;
  AddPrefixes(prefixes, request.mutable_clients());
  ztgate::v1::SetAuditClientsResponse response;
  return CallSetting("SetAuditClients", [&](grpc::ClientContext& context) {
    return stub_->SetAuditClients(&context, request, &response);
  });
}

absl::Status DataplaneLink::ApplyDesiredSettings() {
  std::optional<std::vector<IpPrefix>> exceptions;
  std::optional<ztgate::v1::Mode> mode;
  std::optional<std::vector<IpPrefix>> audit_clients;
  {
    std::lock_guard lock(mutex_);
    exceptions = desired_exceptions_;
    mode = desired_mode_;
    audit_clients = desired_audit_clients_;
  }
  if (exceptions) {
    if (absl::Status status = ApplyExceptions(*exceptions); !status.ok()) return status;
  }
  if (audit_clients) {
    if (absl::Status status = ApplyAuditClients(*audit_clients); !status.ok()) return status;
  }
  if (mode) return ApplyMode(*mode);
  return absl::OkStatus();
}

void DataplaneLink::FailInFlight(const absl::Status& status) {
  absl::flat_hash_map<uint64_t, InFlight> failed;
  {
    std::lock_guard lock(mutex_);
    failed.swap(in_flight_);
    if (!failed.empty()) ++install_failures_;
  }
  for (auto& [batch_id, batch] : failed) {
    for (Pending& part : batch.parts) {
      if (part.waiter) part.waiter->Fail(status);
    }
  }
}

}  // namespace ztgate::controlplane
