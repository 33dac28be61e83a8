// The worker lcores' loop: receive a burst on one side, classify it (see
// classifier.h), transmit the passed frames on the other side, free the
// rest, and report an RCU QSBR quiescent state after each burst. In audit
// mode the frames that would be dropped are forwarded and counted as
// audited. Dropped and audited frames are offered to the drop sampler while
// a WatchDrops stream is open.
#ifndef ZTGATE_DATAPLANE_FORWARDER_H_
#define ZTGATE_DATAPLANE_FORWARDER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <rte_rcu_qsbr.h>

#include "absl/status/statusor.h"
#include "dataplane/allow_table.h"
#include "dataplane/classifier.h"
#include "dataplane/config.h"
#include "dataplane/drop_sampler.h"
#include "dataplane/exceptions.h"
#include "dataplane/worker_counters.h"

namespace ztgate::dataplane {

struct ForwarderPorts {
  uint16_t inside = 0;
  uint16_t outside = 0;
};

// Shared state the workers read, owned by the caller and outliving the
// Forwarder.
struct ForwarderShared {
  const AllowTable* table = nullptr;
  const Exceptions* exceptions = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  DropSampler* sampler = nullptr;  // May be null: no sampling.
  PassPolicy pass;
  // Clients audited while the mode is enforce; may be null: none.
  const Exceptions* audit_clients = nullptr;
};

struct QsbrDeleter {
  void operator()(rte_rcu_qsbr* qsbr) const;
};
using QsbrPtr = std::unique_ptr<rte_rcu_qsbr, QsbrDeleter>;

// Creates an RCU QSBR domain for `threads` workers (thread ids 0..threads-1).
absl::StatusOr<QsbrPtr> CreateQsbr(unsigned threads);

PassPolicy PassPolicyFromConfig(const DataplaneConfig& config);

class Forwarder {
 public:
  Forwarder(ForwarderPorts ports, unsigned worker_count, ForwarderShared shared,
            EnforcementMode mode);

  // Runs the loop for worker `index` (its queue number on both ports and
  // its QSBR thread id) until Stop(). Called on a worker lcore.
  void Run(unsigned index);
  void Stop() { stop_.store(true, std::memory_order_relaxed); }

  // Switches the mode and returns the previous one once every worker has
  // finished the burst it was in, so every later burst uses `mode`.
  EnforcementMode SetMode(EnforcementMode mode);
  EnforcementMode mode() const { return mode_.load(std::memory_order_relaxed); }

  const std::vector<WorkerCounters>& counters() const { return counters_; }
  ForwarderPorts ports() const { return ports_; }

 private:
  template <bool kInsideToOutside, bool kAudit>
  void ForwardBurst(uint16_t rx_port, uint16_t tx_port, unsigned worker, WorkerCounters& counters);

  ForwarderPorts ports_;
  ForwarderShared shared_;
  std::vector<WorkerCounters> counters_;
  // Per-worker burst scratch, allocated once so the packet path neither
  // allocates nor initializes 4 KiB of stack per burst.
  std::vector<std::unique_ptr<ClassifyScratch>> scratch_;
  std::atomic<EnforcementMode> mode_;
  std::atomic<bool> stop_{false};
};

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_FORWARDER_H_
