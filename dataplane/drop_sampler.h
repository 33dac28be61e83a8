// Sampled drops for WatchDrops. Each worker lcore owns a single-producer
// rte_ring of DropSample records and offers a sample for a dropped (or, in
// audit mode, audited) frame only while a WatchDrops stream is open. A full ring loses
// the sample and counts it, so a slow watcher never slows the packet path.
// The DropHub thread drains the rings and fans the samples out to every
// WatchDrops stream, each with its own bounded queue.
#ifndef ZTGATE_DATAPLANE_DROP_SAMPLER_H_
#define ZTGATE_DATAPLANE_DROP_SAMPLER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <rte_ring.h>

#include "absl/status/statusor.h"
#include "dataplane/packet_parser.h"
#include "dataplane/worker_counters.h"

namespace ztgate::dataplane {

struct DropSample {
  uint64_t tsc = 0;
  Address16 client;
  Address16 remote;
  uint8_t reason = 0;  // A DropReason.
  uint8_t audited = 0;
  uint8_t ip_protocol = 0;
  uint8_t is_v4 = 0;
  uint16_t remote_port = 0;  // The port on the outside address; 0 without ports.
  uint8_t has_addresses = 0;  // 0 for non-IP and malformed frames.
  uint8_t padding = 0;
};
static_assert(sizeof(DropSample) % 4 == 0, "rte_ring elements are multiples of 4 bytes");

class DropSampler {
 public:
  // Samples each worker's ring holds; a power of two.
  static constexpr unsigned kRingSize = 1024;

  static absl::StatusOr<std::unique_ptr<DropSampler>> Create(unsigned workers);
  ~DropSampler();

  // True while a WatchDrops stream is open; workers skip sampling otherwise.
  bool active() const { return watchers_.load(std::memory_order_relaxed) > 0; }

  // Packet path: called by worker `worker` only.
  void Offer(unsigned worker, const DropSample& sample) {
    if (rte_ring_sp_enqueue_elem(rings_[worker], const_cast<DropSample*>(&sample), sizeof(DropSample)) != 0) {
      lost_[worker].Add(1);
    }
  }

  // Consumer side, for the DropHub thread only: moves every queued sample
  // into `out`.
  void Drain(std::vector<DropSample>& out);
  // Samples lost in the rings so far.
  uint64_t lost() const;

  void AddWatcher() { watchers_.fetch_add(1); }
  void RemoveWatcher() { watchers_.fetch_sub(1); }

 private:
  DropSampler() = default;

  std::vector<rte_ring*> rings_;
  std::unique_ptr<SingleWriterCounter[]> lost_;
  unsigned workers_ = 0;
  std::atomic<int> watchers_{0};
};

// One WatchDrops stream's queue.
class DropSubscription {
 public:
  // Samples a subscription queues before it counts new ones as lost.
  static constexpr size_t kMaxQueued = 4096;

  // Waits up to `timeout_ms` for samples; returns them with the count lost
  // since the last call.
  std::vector<DropSample> Wait(int timeout_ms, uint64_t* lost);
  void Push(const std::vector<DropSample>& samples, uint64_t ring_lost);

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<DropSample> queue_;
  uint64_t lost_ = 0;
};

class DropHub {
 public:
  explicit DropHub(DropSampler& sampler);
  ~DropHub();

  std::shared_ptr<DropSubscription> Subscribe();
  void Unsubscribe(const std::shared_ptr<DropSubscription>& subscription);

 private:
  void Run();

  DropSampler& sampler_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<DropSubscription>> subscriptions_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_DROP_SAMPLER_H_
