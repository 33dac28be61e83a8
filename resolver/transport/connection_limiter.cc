// Connection admission; see connection_limiter.h.
#include "resolver/transport/connection_limiter.h"

namespace ztgate::resolver::transport {

ConnectionLimiter::Admission ConnectionLimiter::TryAdmit(const IpAddress& client) {
  absl::MutexLock lock(&mutex_);
  if (total_ >= max_total_) return Admission::kTotalLimit;
  uint32_t& count = per_client_[client];
  if (count >= max_per_client_) return Admission::kClientLimit;
  ++count;
  ++total_;
  return Admission::kAdmitted;
}

void ConnectionLimiter::Release(const IpAddress& client) {
  absl::MutexLock lock(&mutex_);
  auto it = per_client_.find(client);
  if (it == per_client_.end() || it->second == 0) return;
  --total_;
  if (--it->second == 0) per_client_.erase(it);
}

uint32_t ConnectionLimiter::total() const {
  absl::MutexLock lock(&mutex_);
  return total_;
}

uint32_t ConnectionLimiter::CountFor(const IpAddress& client) const {
  absl::MutexLock lock(&mutex_);
  auto it = per_client_.find(client);
  return it == per_client_.end() ? 0 : it->second;
}

}  // namespace ztgate::resolver::transport
