// The worker loop; see forwarder.h.
#include "dataplane/forwarder.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "common/str_cat.h"

namespace ztgate::dataplane {
namespace {

DropSample MakeSample(const ParsedFrame& frame, bool inside_to_outside, uint8_t reason,
                      bool audited, uint64_t now) {
  DropSample sample{};
  sample.tsc = now;
  sample.reason = reason;
  sample.audited = audited ? 1 : 0;
  if (frame.kind != FrameKind::kIp) return sample;
  sample.has_addresses = 1;
  sample.client = inside_to_outside ? frame.source : frame.destination;
  sample.remote = inside_to_outside ? frame.destination : frame.source;
  sample.ip_protocol = frame.ip_protocol;
  sample.is_v4 = frame.is_v4 ? 1 : 0;
  sample.remote_port = inside_to_outside ? frame.destination_port : frame.source_port;
  return sample;
}

}  // namespace

void QsbrDeleter::operator()(rte_rcu_qsbr* qsbr) const { rte_free(qsbr); }

absl::StatusOr<QsbrPtr> CreateQsbr(unsigned threads) {
  const size_t size = rte_rcu_qsbr_get_memsize(threads);
  auto* qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("ztgate_qsbr", size, RTE_CACHE_LINE_SIZE));
  if (qsbr == nullptr) return absl::ResourceExhaustedError("cannot allocate the RCU QSBR domain");
  if (rte_rcu_qsbr_init(qsbr, threads) != 0) {
    rte_free(qsbr);
    return absl::InternalError(StrCat("rte_rcu_qsbr_init for ", threads, " threads failed"));
  }
  return QsbrPtr(qsbr);
}

PassPolicy PassPolicyFromConfig(const DataplaneConfig& config) {
  PassPolicy pass;
  pass.arp = config.pass_arp;
  pass.ndp = config.pass_ndp;
  pass.dhcp = config.pass_dhcp;
  pass.icmp_errors = config.pass_icmp_errors;
  pass.ethertypes = config.pass_ethertypes;
  return pass;
}

Forwarder::Forwarder(ForwarderPorts ports, unsigned worker_count, ForwarderShared shared,
                     EnforcementMode mode)
    : ports_(ports), shared_(std::move(shared)), counters_(worker_count), mode_(mode) {
  for (unsigned i = 0; i < worker_count; ++i) scratch_.push_back(std::make_unique<ClassifyScratch>());
}

void Forwarder::Run(unsigned index) {
  WorkerCounters& counters = counters_[index];
  rte_rcu_qsbr_thread_register(shared_.qsbr, index);
  rte_rcu_qsbr_thread_online(shared_.qsbr, index);
  // The mode is read before each burst, between two quiescent states, so
  // SetMode's grace period covers it.
  while (!stop_.load(std::memory_order_relaxed)) {
    if (mode_.load(std::memory_order_relaxed) == EnforcementMode::kAudit) {
      ForwardBurst<true, true>(ports_.inside, ports_.outside, index, counters);
    } else {
      ForwardBurst<true, false>(ports_.inside, ports_.outside, index, counters);
    }
    if (mode_.load(std::memory_order_relaxed) == EnforcementMode::kAudit) {
      ForwardBurst<false, true>(ports_.outside, ports_.inside, index, counters);
    } else {
      ForwardBurst<false, false>(ports_.outside, ports_.inside, index, counters);
    }
  }
  rte_rcu_qsbr_thread_offline(shared_.qsbr, index);
  rte_rcu_qsbr_thread_unregister(shared_.qsbr, index);
}

EnforcementMode Forwarder::SetMode(EnforcementMode mode) {
  const EnforcementMode previous = mode_.exchange(mode);
  rte_rcu_qsbr_synchronize(shared_.qsbr, RTE_QSBR_THRID_INVALID);
  return previous;
}

template <bool kInsideToOutside, bool kAudit>
void Forwarder::ForwardBurst(uint16_t rx_port, uint16_t tx_port, unsigned worker,
                             WorkerCounters& counters) {
  const auto queue = static_cast<uint16_t>(worker);
  rte_mbuf* received[kBurstSize];
  const uint16_t count = rte_eth_rx_burst(rx_port, queue, received, kBurstSize);
  if (count == 0) {
    rte_rcu_qsbr_quiescent(shared_.qsbr, worker);
    return;
  }
  counters.bursts.Add(1);

  ClassifyScratch& scratch = *scratch_[worker];
  Verdict verdicts[kBurstSize];
  const ClassifyContext context{
      shared_.table, shared_.exceptions->Current(), &shared_.pass, rte_rdtsc(),
      kAudit || shared_.audit_clients == nullptr ? nullptr : shared_.audit_clients->Current()};
  ClassifyBurst<kInsideToOutside>(context, received, count, scratch, verdicts);
  const bool sampling = shared_.sampler != nullptr && shared_.sampler->active();

  rte_mbuf* passed[kBurstSize];
  uint16_t pass_count = 0;
  for (uint16_t i = 0; i < count; ++i) {
    const Verdict verdict = verdicts[i];
    if (likely(verdict.pass)) {
      counters.Pass(static_cast<PassReason>(verdict.reason));
      passed[pass_count++] = received[i];
      continue;
    }
    const bool audited = kAudit || verdict.audited;
    if (unlikely(sampling)) {
      shared_.sampler->Offer(worker, MakeSample(scratch.frames[i], kInsideToOutside,
                                                verdict.reason, audited, context.now));
    }
    if (audited) {
      counters.audited[verdict.reason].Add(1);
      passed[pass_count++] = received[i];
    } else {
      counters.Drop(static_cast<DropReason>(verdict.reason));
      rte_pktmbuf_free(received[i]);
    }
  }
  // The verdicts are final: the workers hold no table reference past here.
  rte_rcu_qsbr_quiescent(shared_.qsbr, worker);

  const uint16_t sent = rte_eth_tx_burst(tx_port, queue, passed, pass_count);
  for (uint16_t i = sent; i < pass_count; ++i) {
    counters.Drop(DropReason::kTxFailed);
    rte_pktmbuf_free(passed[i]);
  }
}

}  // namespace ztgate::dataplane
