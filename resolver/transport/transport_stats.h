// Counters of the DoT server and the upstream pool. Every outcome is counted
// once, with relaxed atomics, by the thread where it happens. Snapshot()
// copies them into plain structs for export (gRPC stats, logs, tests).
#ifndef ZTGATE_RESOLVER_TRANSPORT_TRANSPORT_STATS_H_
#define ZTGATE_RESOLVER_TRANSPORT_TRANSPORT_STATS_H_

#include <atomic>
#include <cstdint>

namespace ztgate::resolver::transport {

struct DotServerCounters {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected_total_limit = 0;
  uint64_t connections_rejected_client_limit = 0;
  uint64_t connections_closed = 0;
  uint64_t handshakes_completed = 0;
  uint64_t handshakes_resumed = 0;
  uint64_t handshakes_failed = 0;
  uint64_t handshake_timeouts = 0;
  uint64_t idle_timeouts = 0;
  uint64_t queries = 0;
  uint64_t responses = 0;
  // Frames of length 0 to 11: too short for a DNS header; the connection
  // is closed.
  uint64_t malformed_frames = 0;
  // The handler completed with an empty or oversized response.
  uint64_t responses_dropped = 0;
  // The handler completed after the connection had closed.
  uint64_t responses_after_close = 0;
  uint64_t tls_reloads = 0;
  uint64_t tls_reload_failures = 0;
};

struct UpstreamPoolCounters {
  uint64_t queries = 0;
  uint64_t responses = 0;
  uint64_t timeouts = 0;
  uint64_t network_failures = 0;
  uint64_t retries = 0;
  uint64_t connects = 0;
  uint64_t connect_failures = 0;
  uint64_t pin_failures = 0;
  // Responses with an unknown ID or a question that differs from the query.
  uint64_t mismatched_responses = 0;
  uint64_t marked_down = 0;
  // Queries that failed before reaching an upstream (malformed, none usable).
  uint64_t rejected_queries = 0;
};

// A counters struct of atomics. `Counters` is one of the structs above; each
// field is addressed by its member pointer.
template <typename Counters>
class AtomicCounters {
 public:
  void Add(uint64_t Counters::*field, uint64_t amount = 1) {
    Slot(field).fetch_add(amount, std::memory_order_relaxed);
  }
  Counters Snapshot() const {
    Counters out;
    auto* target = reinterpret_cast<uint64_t*>(&out);
    for (size_t i = 0; i < kFields; ++i) target[i] = slots_[i].load(std::memory_order_relaxed);
    return out;
  }

 private:
  static_assert(sizeof(Counters) % sizeof(uint64_t) == 0,
                "counters structs hold only uint64_t fields");
  static constexpr size_t kFields = sizeof(Counters) / sizeof(uint64_t);

  std::atomic<uint64_t>& Slot(uint64_t Counters::*field) {
    Counters probe;
    const auto offset = reinterpret_cast<const char*>(&(probe.*field)) -
                        reinterpret_cast<const char*>(&probe);
    return slots_[static_cast<size_t>(offset) / sizeof(uint64_t)];
  }

  std::atomic<uint64_t> slots_[kFields] = {};
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_TRANSPORT_STATS_H_
