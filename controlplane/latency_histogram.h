// A lock-free latency histogram with logarithmic buckets (about 19% wide,
// from 1 microsecond to about 60 seconds), enough to report p50 and p99 of
// install latencies within one bucket's width.
#ifndef ZTGATE_CONTROLPLANE_LATENCY_HISTOGRAM_H_
#define ZTGATE_CONTROLPLANE_LATENCY_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>

#include "absl/time/time.h"

namespace ztgate::controlplane {

class LatencyHistogram {
 public:
  void Record(absl::Duration latency) {
    buckets_[BucketOf(latency)].fetch_add(1, std::memory_order_relaxed);
  }

  // Returns the upper bound of the bucket holding quantile `q` (0 < q <= 1),
  // or zero when nothing was recorded.
  absl::Duration Quantile(double q) const {
    uint64_t total = 0;
    for (const auto& bucket : buckets_) total += bucket.load(std::memory_order_relaxed);
    if (total == 0) return absl::ZeroDuration();
    const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen >= rank) return UpperBound(i);
    }
    return UpperBound(kBuckets - 1);
  }

 private:
  // Four buckets per doubling: bucket i ends at 1us * 2^(i/4).
  static constexpr size_t kBucketsPerDoubling = 4;
  static constexpr size_t kBuckets = 26 * kBucketsPerDoubling;  // Up to 2^26 us, about 67 s.

  static size_t BucketOf(absl::Duration latency) {
    const double micros = absl::ToDoubleMicroseconds(latency);
    if (micros <= 1.0) return 0;
    const auto index = static_cast<size_t>(std::ceil(std::log2(micros) * kBucketsPerDoubling));
    return index < kBuckets ? index : kBuckets - 1;
  }

  static absl::Duration UpperBound(size_t index) {
    return absl::Microseconds(std::exp2(static_cast<double>(index) / kBucketsPerDoubling));
  }

  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_LATENCY_HISTOGRAM_H_
