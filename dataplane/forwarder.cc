// The worker loop; see forwarder.h.
#include "dataplane/forwarder.h"

#include <algorithm>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

namespace ztgate::dataplane {
namespace {

constexpr uint16_t kBurstSize = 32;

}  // namespace

Forwarder::Forwarder(const DataplaneConfig& config, ForwarderPorts ports, unsigned worker_count)
    : config_(config), ports_(ports), counters_(worker_count) {}

void Forwarder::Run(unsigned index) {
  WorkerCounters& counters = counters_[index];
  const auto queue = static_cast<uint16_t>(index);
  while (!stop_.load(std::memory_order_relaxed)) {
    ForwardBurst<true>(ports_.inside, ports_.outside, queue, counters);
    ForwardBurst<false>(ports_.outside, ports_.inside, queue, counters);
  }
}

template <bool kInsideToOutside>
void Forwarder::ForwardBurst(uint16_t rx_port, uint16_t tx_port, uint16_t queue,
                             WorkerCounters& counters) {
  rte_mbuf* received[kBurstSize];
  const uint16_t count = rte_eth_rx_burst(rx_port, queue, received, kBurstSize);
  if (count == 0) return;
  counters.bursts.Add(1);

  rte_mbuf* passed[kBurstSize];
  uint16_t pass_count = 0;
  for (uint16_t i = 0; i < count; ++i) {
    rte_mbuf* mbuf = received[i];
    if (unlikely(rte_pktmbuf_data_len(mbuf) < sizeof(rte_ether_hdr))) {
      counters.Drop(DropReason::kMalformed);
      rte_pktmbuf_free(mbuf);
      continue;
    }
    const auto* ether = rte_pktmbuf_mtod(mbuf, const rte_ether_hdr*);
    const uint16_t ethertype = rte_be_to_cpu_16(ether->ether_type);
    if (ethertype == RTE_ETHER_TYPE_ARP && config_.pass_arp) {
      counters.Pass(PassReason::kArp);
      passed[pass_count++] = mbuf;
    } else if (std::find(config_.pass_ethertypes.begin(), config_.pass_ethertypes.end(),
                         ethertype) != config_.pass_ethertypes.end()) {
      counters.Pass(PassReason::kEthertype);
      passed[pass_count++] = mbuf;
    } else if (ethertype == RTE_ETHER_TYPE_IPV4 || ethertype == RTE_ETHER_TYPE_IPV6) {
      counters.Drop(DropReason::kNoFlow);
      rte_pktmbuf_free(mbuf);
    } else {
      counters.Drop(DropReason::kEthertype);
      rte_pktmbuf_free(mbuf);
    }
  }

  const uint16_t sent = rte_eth_tx_burst(tx_port, queue, passed, pass_count);
  for (uint16_t i = sent; i < pass_count; ++i) {
    counters.Drop(DropReason::kTxFailed);
    rte_pktmbuf_free(passed[i]);
  }
}

}  // namespace ztgate::dataplane
