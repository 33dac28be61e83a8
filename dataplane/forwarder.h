// The worker lcores' loop: receive a burst on one side, classify each frame,
// transmit the passed frames on the other side, free the rest.
//
// NOTE: this first version classifies by ethertype only: ARP and configured
// ethertypes pass, every IP packet is dropped as no_flow because the allow
// table does not exist yet. The packet parser and the allow table replace
// Classify() without changing the loop.
#ifndef ZTGATE_DATAPLANE_FORWARDER_H_
#define ZTGATE_DATAPLANE_FORWARDER_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/config.h"
#include "dataplane/worker_counters.h"

namespace ztgate::dataplane {

struct ForwarderPorts {
  uint16_t inside = 0;
  uint16_t outside = 0;
};

class Forwarder {
 public:
  Forwarder(const DataplaneConfig& config, ForwarderPorts ports, unsigned worker_count);

  // Runs the loop for worker `index` (its queue number on both ports) until
  // Stop(). Called on a worker lcore.
  void Run(unsigned index);
  void Stop() { stop_.store(true, std::memory_order_relaxed); }

  const std::vector<WorkerCounters>& counters() const { return counters_; }

 private:
  template <bool kInsideToOutside>
  void ForwardBurst(uint16_t rx_port, uint16_t tx_port, uint16_t queue, WorkerCounters& counters);

  const DataplaneConfig& config_;
  ForwarderPorts ports_;
  std::vector<WorkerCounters> counters_;
  std::atomic<bool> stop_{false};
};

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_FORWARDER_H_
