// Per-lcore counters. Each worker lcore writes only its own cache-line
// aligned block; the control thread sums all blocks when stats are read.
// Relaxed atomics give the reader untorn values at the cost of a plain
// load and store on x86-64, with no locked instruction on the packet path.
#ifndef ZTGATE_DATAPLANE_WORKER_COUNTERS_H_
#define ZTGATE_DATAPLANE_WORKER_COUNTERS_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "dataplane/verdict_reasons.h"

namespace ztgate::dataplane {

// A counter with a single writer.
class SingleWriterCounter {
 public:
  void Add(uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n,
                                      std::memory_order_relaxed); }
  uint64_t Read() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

struct alignas(64) WorkerCounters {
  std::array<SingleWriterCounter, kDropReasonCount> drops;
  std::array<SingleWriterCounter, kPassReasonCount> passes;
  // Would-be drops forwarded in audit mode, by drop reason.
  std::array<SingleWriterCounter, kDropReasonCount> audited;
  SingleWriterCounter bursts;

  void Drop(DropReason reason) { drops[static_cast<size_t>(reason)].Add(1); }
  void Pass(PassReason reason) { passes[static_cast<size_t>(reason)].Add(1); }
};

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_WORKER_COUNTERS_H_
