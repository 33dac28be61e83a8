// Counters of the DoT and DoH servers and of the upstream pool. Every outcome is counted
// once, with relaxed atomics, by the thread where it happens. Snapshot()
// copies them into plain structs for export (gRPC stats, logs, tests).
#ifndef ZTGATE_RESOLVER_TRANSPORT_TRANSPORT_STATS_H_
#define ZTGATE_RESOLVER_TRANSPORT_TRANSPORT_STATS_H_

#include <atomic>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace ztgate::resolver::transport {

struct ServerCounters {
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

  // DoH only. Connections by the HTTP version ALPN chose (no ALPN counts
  // as HTTP/1.1), and requests answered with an HTTP error status.
  uint64_t http2_connections = 0;
  uint64_t http1_connections = 0;
  uint64_t http_requests = 0;
  uint64_t http_400_bad_request = 0;
  uint64_t http_404_not_found = 0;
  uint64_t http_405_method_not_allowed = 0;
  uint64_t http_413_content_too_large = 0;
  uint64_t http_414_uri_too_long = 0;
  uint64_t http_415_unsupported_media_type = 0;
  uint64_t http_431_header_fields_too_large = 0;
  uint64_t http_501_not_implemented = 0;
  // The handler completed with no response; sent as 502.
  uint64_t http_502_bad_gateway = 0;
  // HTTP/2 protocol errors that ended the connection.
  uint64_t http2_session_errors = 0;
};

// The counters of `counters` with their field names, in declaration order.
std::vector<std::pair<std::string_view, uint64_t>> NamedCounters(const ServerCounters& counters);

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
