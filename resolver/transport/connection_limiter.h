// Admission control for client connections: a total limit and a limit per
// client address. Accepting runs on one thread and closing on any, so the
// counts sit behind a mutex; it is taken twice per connection, not per query.
#ifndef ZTGATE_RESOLVER_TRANSPORT_CONNECTION_LIMITER_H_
#define ZTGATE_RESOLVER_TRANSPORT_CONNECTION_LIMITER_H_

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/ip_address.h"

namespace ztgate::resolver::transport {

class ConnectionLimiter {
 public:
  enum class Admission { kAdmitted, kTotalLimit, kClientLimit };

  ConnectionLimiter(uint32_t max_total, uint32_t max_per_client)
      : max_total_(max_total), max_per_client_(max_per_client) {}

  // Counts a new connection from `client` unless a limit is reached.
  Admission TryAdmit(const IpAddress& client);
  // Forgets one admitted connection from `client`.
  void Release(const IpAddress& client);

  uint32_t total() const;
  uint32_t CountFor(const IpAddress& client) const;

 private:
  const uint32_t max_total_;
  const uint32_t max_per_client_;
  mutable absl::Mutex mutex_;
  uint32_t total_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::flat_hash_map<IpAddress, uint32_t> per_client_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_CONNECTION_LIMITER_H_
