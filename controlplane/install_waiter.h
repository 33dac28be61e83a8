// One answer waiting for its flows to be acknowledged. A waiter counts the
// dataplanes whose acknowledgement it still needs (one batch per dataplane);
// the last acknowledgement, the first failure or the deadline completes it,
// exactly once, whichever comes first.
#ifndef ZTGATE_CONTROLPLANE_INSTALL_WAITER_H_
#define ZTGATE_CONTROLPLANE_INSTALL_WAITER_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ztgate::controlplane {

// Receives the shortest lifetime among the answer's installed flows (the
// cap for the TTLs of the released answer), or the reason the install
// failed. Runs on an installer thread: post the work elsewhere if it blocks.
using InstallCallback = std::function<void(absl::StatusOr<absl::Duration> lifetime)>;

class InstallWaiter {
 public:
  InstallWaiter(InstallCallback callback, absl::Time deadline, absl::Duration lifetime_cap)
      : callback_(std::move(callback)), deadline_(deadline), lifetime_(lifetime_cap) {}

  // Adds the acknowledgement of dataplane `link` (0-63) to wait for. The
  // installer holds one extra expectation of its own while it enqueues, so
  // an early acknowledgement cannot complete the waiter too soon.
  void Expect(int link) {
    pending_links_.fetch_or(uint64_t{1} << link, std::memory_order_relaxed);
    outstanding_.fetch_add(1, std::memory_order_relaxed);
  }
  void ExpectGuard() { outstanding_.fetch_add(1, std::memory_order_relaxed); }
  void ReleaseGuard() { Arrive(); }

  // Lowers the lifetime reported on success to `lifetime` if shorter.
  void CapLifetime(absl::Duration lifetime) {
    std::lock_guard lock(mutex_);
    lifetime_ = std::min(lifetime_, lifetime);
  }

  // Dataplane `link` acknowledged the batch holding this waiter's flows.
  void Acknowledge(int link) {
    pending_links_.fetch_and(~(uint64_t{1} << link), std::memory_order_relaxed);
    Arrive();
  }

  // Bit i is set while dataplane i has not acknowledged.
  uint64_t pending_links() const { return pending_links_.load(std::memory_order_relaxed); }

  // Completes with `status` unless already completed.
  void Fail(absl::Status status) { Complete(std::move(status)); }

  bool done() const { return done_.load(std::memory_order_acquire); }
  absl::Time deadline() const { return deadline_; }

 private:
  void Arrive() {
    if (outstanding_.fetch_sub(1, std::memory_order_acq_rel) == 1) Complete(absl::OkStatus());
  }

  void Complete(absl::Status status) {
    if (done_.exchange(true, std::memory_order_acq_rel)) return;
    if (!status.ok()) {
      callback_(std::move(status));
      return;
    }
    absl::Duration lifetime;
    {
      std::lock_guard lock(mutex_);
      lifetime = lifetime_;
    }
    callback_(lifetime);
  }

  InstallCallback callback_;
  const absl::Time deadline_;
  std::atomic<int> outstanding_{0};
  std::atomic<uint64_t> pending_links_{0};
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  absl::Duration lifetime_;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_INSTALL_WAITER_H_
