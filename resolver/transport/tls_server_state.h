// A TLS server's options and the state its connections share with it:
// counters, connection admission, the handler and the set of open
// connections. Connections hold it by shared_ptr, so a connection that
// finishes closing after the TlsServer object is gone still has valid
// counters to update.
#ifndef ZTGATE_RESOLVER_TRANSPORT_TLS_SERVER_STATE_H_
#define ZTGATE_RESOLVER_TRANSPORT_TLS_SERVER_STATE_H_

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

// The protocol a TlsServer speaks after the TLS handshake.
enum class ServerProtocol {
  kDot,  // DNS over TLS (RFC 7858), ALPN "dot".
  kDoh,  // DNS over HTTPS (RFC 8484): HTTP/2 or HTTP/1.1, by ALPN.
};

struct TlsServerOptions {
  ServerProtocol protocol = ServerProtocol::kDot;
  std::vector<Endpoint> listeners;  // Port 0 picks a free port (tests).
  ServerTlsConfig tls;
  ListenerLimits limits;
  DohOptions doh;  // Used by kDoh only.
  // A TLS handshake that has not finished by then is abandoned.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // Reload certificates and keys on SIGHUP. Off when the embedding daemon
  // handles signals itself and calls ReloadTls().
  bool reload_on_sighup = false;
};

class TlsConnection;

struct TlsServerState {
  TlsServerState(TlsServerOptions server_options, QueryHandler* query_handler)
      : options(std::move(server_options)),
        handler(query_handler),
        limiter(options.limits.max_connections, options.limits.max_connections_per_client) {}

  // "dot" or "doh", the prefix of log lines.
  std::string_view name() const { return options.protocol == ServerProtocol::kDot ? "dot" : "doh"; }

  // Logs a connection-level error, rate-limited across all connections.
  void LogError(std::string_view what, std::string_view peer, std::string_view error);
  void Register(const std::shared_ptr<TlsConnection>& connection);
  // Forgets a closed connection and releases its admission.
  void Unregister(TlsConnection* connection, const IpAddress& client);

  const TlsServerOptions options;
  QueryHandler* const handler;
  ConnectionLimiter limiter;
  AtomicCounters<ServerCounters> stats;
  LogLimiter error_log_limiter;

  absl::Mutex mutex;
  absl::flat_hash_map<TlsConnection*, std::weak_ptr<TlsConnection>> connections
      ABSL_GUARDED_BY(mutex);
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_TLS_SERVER_STATE_H_
