// The pool of DoT upstreams: persistent pipelined connections to each
// configured upstream (never plaintext), retry on the next upstream, and
// health tracking.
//
// Resolve() picks upstreams round robin, healthy ones first, and tries up to
// `attempts` of them in turn until one answers. An upstream is marked down
// after `max_failures` consecutive failures (timeouts or network errors);
// after `down_time` one probe query may try it again, and its success marks
// it up. When every upstream is down they are still tried, in order, rather
// than failing every query.
//
// The status given to the callback when every attempt failed is the last
// attempt's: DEADLINE_EXCEEDED for a timeout (answer SERVFAIL with EDE 22,
// No Reachable Authority) or UNAVAILABLE for a network or TLS failure
// (EDE 23, Network Error). INVALID_ARGUMENT means the query itself was
// unusable (shorter than a DNS header or longer than 65535 bytes).
#ifndef ZTGATE_RESOLVER_TRANSPORT_UPSTREAM_POOL_H_
#define ZTGATE_RESOLVER_TRANSPORT_UPSTREAM_POOL_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "resolver/resolver_config.h"
#include "resolver/transport/io_context_pool.h"
#include "resolver/transport/log_limiter.h"
#include "resolver/transport/transport_stats.h"
#include "resolver/transport/upstream_connection.h"

namespace ztgate::resolver::transport {

struct UpstreamHealth {
  std::string endpoint;
  bool up = true;
  uint32_t consecutive_failures = 0;
  uint64_t answered = 0;
  uint64_t failed = 0;
};

class UpstreamPool : public std::enable_shared_from_this<UpstreamPool> {
 public:
  // Builds each upstream's TLS context (reading its CA bundle) and its
  // connections, spread over the io_contexts of `io_pool`, which must
  // outlive the pool. Connections open on first use. Queries in flight
  // hold a reference, so the pool lives until their callbacks have run.
  static absl::StatusOr<std::shared_ptr<UpstreamPool>> Create(
      const std::vector<UpstreamConfig>& upstreams, const UpstreamPoolConfig& config,
      IoContextPool* io_pool);
  ~UpstreamPool();

  // Resolves `query` (ID and all; the response carries the same ID). Any
  // thread; `done` runs once, on one of the pool's event loops.
  void Resolve(std::string query, UpstreamCallback done);

  // Fails queries in flight and closes every connection.
  void Stop();

  UpstreamPoolCounters stats() const { return stats_->Snapshot(); }
  std::vector<UpstreamHealth> health() const;

 private:
  struct Upstream;
  struct Attempt;

  UpstreamPool(const UpstreamPoolConfig& config, std::vector<std::unique_ptr<Upstream>> upstreams,
               std::shared_ptr<AtomicCounters<UpstreamPoolCounters>> stats);

  // The upstreams to try for one query, in order.
  std::vector<Upstream*> PickOrder();
  void TryNext(std::shared_ptr<Attempt> attempt);
  void OnAttemptDone(std::shared_ptr<Attempt> attempt, Upstream* upstream,
                     absl::StatusOr<std::string> result);
  void RecordSuccess(Upstream& upstream);
  void RecordFailure(Upstream& upstream, const absl::Status& status);

  const UpstreamPoolConfig config_;
  std::vector<std::unique_ptr<Upstream>> upstreams_;
  std::shared_ptr<AtomicCounters<UpstreamPoolCounters>> stats_;
  std::atomic<size_t> next_upstream_{0};
  LogLimiter retry_log_limiter_;
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_UPSTREAM_POOL_H_
