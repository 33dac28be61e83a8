// The DoT server's options and the state its connections share with it:
// counters, connection admission, the handler and the set of open
// connections. Connections hold it by shared_ptr, so a connection that
// finishes closing after the DotServer object is gone still has valid
// counters to update.
#ifndef ZTGATE_RESOLVER_TRANSPORT_DOT_SERVER_STATE_H_
#define ZTGATE_RESOLVER_TRANSPORT_DOT_SERVER_STATE_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "resolver/resolver_config.h"
#include "resolver/transport/connection_limiter.h"
#include "resolver/transport/log_limiter.h"
#include "resolver/transport/query_handler.h"
#include "resolver/transport/transport_stats.h"

namespace ztgate::resolver::transport {

struct DotServerOptions {
  std::vector<Endpoint> listeners;  // Port 0 picks a free port (tests).
  ServerTlsConfig tls;
  DotListenerLimits limits;
  // A TLS handshake that has not finished by then is abandoned.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // Reload certificates and keys on SIGHUP. Off when the embedding daemon
  // handles signals itself and calls ReloadTls().
  bool reload_on_sighup = false;
};

class DotConnection;

struct DotServerState {
  DotServerState(DotServerOptions server_options, QueryHandler* query_handler)
      : options(std::move(server_options)),
        handler(query_handler),
        limiter(options.limits.max_connections, options.limits.max_connections_per_client) {}

  // Logs a connection-level error, rate-limited across all connections.
  void LogError(std::string_view what, std::string_view peer, std::string_view error);
  void Register(const std::shared_ptr<DotConnection>& connection);
  // Forgets a closed connection and releases its admission.
  void Unregister(DotConnection* connection, const IpAddress& client);

  const DotServerOptions options;
  QueryHandler* const handler;
  ConnectionLimiter limiter;
  AtomicCounters<DotServerCounters> stats;
  LogLimiter error_log_limiter;

  absl::Mutex mutex;
  absl::flat_hash_map<DotConnection*, std::weak_ptr<DotConnection>> connections
      ABSL_GUARDED_BY(mutex);
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_DOT_SERVER_STATE_H_
