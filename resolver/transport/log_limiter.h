// Rate limiting for repeated error logs: a flood of failing handshakes or a
// dead upstream must not flood the log. Each limiter lets one line through
// per interval and reports how many it held back in between.
#ifndef ZTGATE_RESOLVER_TRANSPORT_LOG_LIMITER_H_
#define ZTGATE_RESOLVER_TRANSPORT_LOG_LIMITER_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ztgate::resolver::transport {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds interval = std::chrono::seconds(10))
      : interval_ns_(std::chrono::nanoseconds(interval).count()) {}

  // True when a line may be logged now; `suppressed` is then set to the
  // number of lines held back since the last one.
  bool Allow(uint64_t& suppressed) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t last = last_ns_.load(std::memory_order_relaxed);
    if (last != 0 && now - last < interval_ns_) {
      suppressed_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (!last_ns_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
      suppressed_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    suppressed = suppressed_.exchange(0, std::memory_order_relaxed);
    return true;
  }

 private:
  const int64_t interval_ns_;
  std::atomic<int64_t> last_ns_{0};
  std::atomic<uint64_t> suppressed_{0};
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_LOG_LIMITER_H_
