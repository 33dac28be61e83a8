// Install before release; see flow_installer.h.
#include "controlplane/flow_installer.h"

#include <spdlog/spdlog.h>

#include "common/str_cat.h"

namespace ztgate::controlplane {
namespace {

// How late an install deadline may be noticed: a missed acknowledgement
// turns into SERVFAIL at most this long after install.ack_timeout.
constexpr absl::Duration kDeadlineResolution = absl::Milliseconds(1);

}  // namespace

FlowInstaller::FlowInstaller(std::vector<DataplaneTarget> dataplanes, InstallConfig install)
    : install_(install) {
  for (size_t i = 0; i < dataplanes.size(); ++i) {
    links_.push_back(
        std::make_unique<DataplaneLink>(static_cast<int>(i), std::move(dataplanes[i]), install));
  }
}

FlowInstaller::~FlowInstaller() { Stop(); }

absl::Status FlowInstaller::Start() {
  for (auto& link : links_) {
    if (absl::Status status = link->Start(); !status.ok()) return status;
  }
  deadline_thread_ = std::thread([this] { RunDeadlines(); });
  started_ = true;
  return absl::OkStatus();
}

void FlowInstaller::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (deadline_thread_.joinable()) deadline_thread_.join();
  for (auto& link : links_) link->Stop();
}

void FlowInstaller::Install(const IpAddress& client, std::vector<FlowToInstall> flows,
                            InstallCallback done) {
  absl::Duration lifetime_cap = absl::InfiniteDuration();
  for (const FlowToInstall& flow : flows) lifetime_cap = std::min(lifetime_cap, flow.lifetime);
  auto waiter = std::make_shared<InstallWaiter>(std::move(done),
                                                absl::Now() + install_.ack_timeout, lifetime_cap);
  waiter->ExpectGuard();
  bool enqueued = false;
  const absl::Time now = absl::Now();
  for (auto& link : links_) {
    if (!link->Serves(client)) continue;
    std::vector<FlowToInstall> needed;
    for (const FlowToInstall& flow : flows) {
      std::optional<absl::Duration> remaining =
          link->Remaining({flow.client, flow.destination}, now);
      if (remaining && *remaining * 2 >= flow.lifetime) {
        waiter->CapLifetime(*remaining);
      } else {
        needed.push_back(flow);
      }
    }
    if (needed.empty()) continue;
    waiter->Expect(link->index());
    link->Enqueue(std::move(needed), waiter);
    enqueued = true;
  }
  if (enqueued) WatchDeadline(waiter);
  waiter->ReleaseGuard();
}

void FlowInstaller::WatchDeadline(const std::shared_ptr<InstallWaiter>& waiter) {
  bool earliest = false;
  {
    std::lock_guard lock(mutex_);
    earliest = deadlines_.empty() || waiter->deadline() < deadlines_.top().at;
    deadlines_.push({waiter->deadline(), waiter});
  }
  if (earliest) changed_.notify_all();
}

void FlowInstaller::RunDeadlines() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const Deadline next = deadlines_.top();
    const absl::Time now = absl::Now();
    if (next.at > now) {
      // Most entries belong to answers acknowledged long ago. Waking at
      // most once per kDeadlineResolution pops them in groups instead of
      // taking the core from the query path once per answer.
      changed_.wait_for(lock, absl::ToChronoMicroseconds(
                                  std::max(next.at - now, kDeadlineResolution)));
      continue;
    }
    deadlines_.pop();
    std::shared_ptr<InstallWaiter> waiter = next.waiter.lock();
    if (!waiter || waiter->done()) continue;
    ++deadline_failures_;
    const std::string pending = PendingTargets(waiter->pending_links());
    lock.unlock();
    spdlog::warn("install timed out after {} waiting for {}",
                 absl::FormatDuration(install_.ack_timeout), pending);
    waiter->Fail(absl::DeadlineExceededError(ToAbsl(StrCat(
        "no acknowledgement within ", absl::FormatDuration(install_.ack_timeout), " from ",
        pending))));
    lock.lock();
  }
}

std::string FlowInstaller::PendingTargets(uint64_t pending_links) const {
  std::string targets;
  for (const auto& link : links_) {
    if ((pending_links & (uint64_t{1} << link->index())) == 0) continue;
    if (!targets.empty()) targets += ", ";
    targets += link->target();
  }
  return targets.empty() ? "dataplanes" : targets;
}

absl::StatusOr<uint64_t> FlowInstaller::Revoke(
    const std::function<bool(const FlowToInstall&)>& revoked) {
  uint64_t removed = 0;
  for (auto& link : links_) {
    std::vector<FlowMirror::Key> keys;
    for (const FlowToInstall& flow : link->MirroredFlows()) {
      if (revoked(flow)) keys.emplace_back(flow.client, flow.destination);
    }
    if (keys.empty()) continue;
    absl::StatusOr<uint32_t> count = link->RemoveFlows(keys);
    if (!count.ok()) return count.status();
    spdlog::info("dataplane {}: revoked {} flow(s)", link->target(), *count);
    removed += *count;
  }
  return removed;
}

absl::Status FlowInstaller::SetExceptions(const std::vector<IpPrefix>& prefixes) {
  for (auto& link : links_) {
    if (absl::Status status = link->SetExceptions(prefixes); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status FlowInstaller::SetMode(ztgate::v1::Mode mode) {
  for (auto& link : links_) {
    if (absl::Status status = link->SetMode(mode); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status FlowInstaller::SetAudit(const DataplaneAudit& audit) {
  for (auto& link : links_) {
    if (!started_) {
      link->SetDesiredAudit(audit.mode, audit.audit_clients);
      continue;
    }
    if (absl::Status status = link->SetAuditClients(audit.audit_clients); !status.ok()) {
      return status;
    }
    if (absl::Status status = link->SetMode(audit.mode); !status.ok()) return status;
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> FlowInstaller::Channels()
    const {
  std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> channels;
  for (const auto& link : links_) channels.emplace_back(link->target(), link->channel());
  return channels;
}

bool FlowInstaller::AllSynced() const {
  for (const auto& link : links_) {
    if (!link->synced()) return false;
  }
  return true;
}

std::vector<ztgate::v1::DataplaneStatus> FlowInstaller::Status() const {
  std::vector<ztgate::v1::DataplaneStatus> statuses;
  for (const auto& link : links_) statuses.push_back(link->Status());
  return statuses;
}

uint64_t FlowInstaller::deadline_failures() const {
  std::lock_guard lock(mutex_);
  return deadline_failures_;
}

}  // namespace ztgate::controlplane
