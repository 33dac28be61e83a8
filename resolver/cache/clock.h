// The time source of the cache, so that tests can move time by hand.
#ifndef ZTGATE_RESOLVER_CACHE_CLOCK_H_
#define ZTGATE_RESOLVER_CACHE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ztgate::resolver::cache {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// absl::Now().
class SystemClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance.
  static const SystemClock* Get() {
    static const SystemClock clock;
    return &clock;
  }
};

// A clock that moves only when Advance() is called. Safe to read from
// several threads.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000))
      : nanos_(absl::ToUnixNanos(start)) {}

  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Advance(absl::Duration step) { nanos_ += absl::ToInt64Nanoseconds(step); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace ztgate::resolver::cache

#endif  // ZTGATE_RESOLVER_CACHE_CLOCK_H_
