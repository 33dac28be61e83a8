// Drop sampling; see drop_sampler.h.
#include "dataplane/drop_sampler.h"

#include <algorithm>
#include <chrono>

#include <rte_errno.h>

#include "common/str_cat.h"

namespace ztgate::dataplane {
namespace {

// How often the hub drains the workers' rings. 20 ms keeps a 1024-sample
// ring from overflowing below about 50,000 sampled drops per second per
// worker.
constexpr auto kDrainInterval = std::chrono::milliseconds(20);

std::atomic<uint32_t> g_sampler_generation{0};

}  // namespace

absl::StatusOr<std::unique_ptr<DropSampler>> DropSampler::Create(unsigned workers) {
  std::unique_ptr<DropSampler> sampler(new DropSampler());
  sampler->workers_ = workers;
  sampler->lost_ = std::make_unique<SingleWriterCounter[]>(workers);
  const uint32_t generation = g_sampler_generation.fetch_add(1);
  for (unsigned i = 0; i < workers; ++i) {
    const std::string name = StrCat("ztgate_drops_", generation, "_", i);
    rte_ring* ring = rte_ring_create_elem(name.c_str(), sizeof(DropSample), kRingSize,
                                          SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (ring == nullptr) {
      return absl::ResourceExhaustedError(
          StrCat("cannot create drop sample ring ", name, ": ", rte_strerror(rte_errno)));
    }
    sampler->rings_.push_back(ring);
  }
  return sampler;
}

DropSampler::~DropSampler() {
  for (rte_ring* ring : rings_) rte_ring_free(ring);
}

void DropSampler::Drain(std::vector<DropSample>& out) {
  DropSample batch[64];
  for (rte_ring* ring : rings_) {
    unsigned count = 0;
    while ((count = rte_ring_sc_dequeue_burst_elem(ring, batch, sizeof(DropSample), 64,
                                                   nullptr)) > 0) {
      out.insert(out.end(), batch, batch + count);
    }
  }
}

uint64_t DropSampler::lost() const {
  uint64_t total = 0;
  for (unsigned i = 0; i < workers_; ++i) total += lost_[i].Read();
  return total;
}

std::vector<DropSample> DropSubscription::Wait(int timeout_ms, uint64_t* lost) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !queue_.empty(); });
  std::vector<DropSample> samples(queue_.begin(), queue_.end());
  queue_.clear();
  *lost = lost_;
  lost_ = 0;
  return samples;
}

void DropSubscription::Push(const std::vector<DropSample>& samples, uint64_t ring_lost) {
  {
    std::lock_guard lock(mutex_);
    lost_ += ring_lost;
    for (const DropSample& sample : samples) {
      if (queue_.size() >= kMaxQueued) {
        ++lost_;
      } else {
        queue_.push_back(sample);
      }
    }
  }
  ready_.notify_one();
}

DropHub::DropHub(DropSampler& sampler) : sampler_(sampler), thread_([this] { Run(); }) {}

DropHub::~DropHub() {
  stop_.store(true);
  thread_.join();
}

std::shared_ptr<DropSubscription> DropHub::Subscribe() {
  auto subscription = std::make_shared<DropSubscription>();
  std::lock_guard lock(mutex_);
  subscriptions_.push_back(subscription);
  sampler_.AddWatcher();
  return subscription;
}

void DropHub::Unsubscribe(const std::shared_ptr<DropSubscription>& subscription) {
  std::lock_guard lock(mutex_);
  auto it = std::find(subscriptions_.begin(), subscriptions_.end(), subscription);
  if (it == subscriptions_.end()) return;
  subscriptions_.erase(it);
  sampler_.RemoveWatcher();
}

void DropHub::Run() {
  std::vector<DropSample> samples;
  uint64_t reported_lost = 0;
  while (!stop_.load()) {
    std::this_thread::sleep_for(kDrainInterval);
    samples.clear();
    sampler_.Drain(samples);
    const uint64_t lost = sampler_.lost();
    const uint64_t new_lost = lost - reported_lost;
    reported_lost = lost;
    if (samples.empty() && new_lost == 0) continue;
    std::lock_guard lock(mutex_);
    for (const auto& subscription : subscriptions_) subscription->Push(samples, new_lost);
  }
}

}  // namespace ztgate::dataplane
