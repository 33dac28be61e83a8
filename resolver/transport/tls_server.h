// The client-facing TLS server of the protective resolver: DNS over TLS
// (RFC 7858) or DNS over HTTPS (RFC 8484), one protocol per server.
//
// Contract: each listener accepts TCP connections and admits them against
// the total and per-client connection limits. An admitted connection runs a
// TLS 1.2 or 1.3 handshake, verifying a client certificate when a client CA
// is configured, and then speaks the server's protocol: DoT framing
// (dot_session.h), or HTTP/2 or HTTP/1.1 chosen by ALPN
// (doh_http2_session.h, doh_http1_session.h). Every query goes to the
// QueryHandler with the client's address and certificate identity.
//
// Concurrency: the acceptors run on the first io_context of the pool; each
// accepted connection is placed on the next io_context, round robin, and
// stays there, so one connection's handlers never run concurrently. The TLS
// context for new handshakes is swapped atomically by ReloadTls();
// established connections keep the context they started with.
#ifndef ZTGATE_RESOLVER_TRANSPORT_TLS_SERVER_H_
#define ZTGATE_RESOLVER_TRANSPORT_TLS_SERVER_H_

#include <memory>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/ssl/context.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "resolver/resolver_config.h"
#include "resolver/transport/tls_server_state.h"
#include "resolver/transport/io_context_pool.h"

namespace ztgate::resolver::transport {

class TlsConnection;

class TlsServer {
 public:
  // Builds the TLS context; fails when a certificate, key or CA is invalid.
  // `handler` and `pool` must outlive the server.
  static absl::StatusOr<std::unique_ptr<TlsServer>> Create(TlsServerOptions options,
                                                           QueryHandler* handler,
                                                           IoContextPool* pool);
  ~TlsServer();

  // Binds every listener and starts accepting. The pool must be running.
  absl::Status Start();
  // Stops accepting and closes every connection, sending close_notify, and
  // waits up to 2 s for them to finish. Call while the pool still runs.
  void Stop();

  // Rebuilds the TLS context from the configured files. New handshakes use
  // the new certificate; established connections are not touched. On error
  // the previous context stays in use.
  absl::Status ReloadTls();

  // The bound addresses, with the ports actually chosen.
  std::vector<asio::ip::tcp::endpoint> local_endpoints() const;

  ServerCounters stats() const { return state_->stats.Snapshot(); }
  uint32_t open_connections() const { return state_->limiter.total(); }

 private:
  TlsServer(TlsServerOptions options, QueryHandler* handler, IoContextPool* pool,
            std::shared_ptr<asio::ssl::context> tls_context);

  void Accept(size_t listener_index);
  void OnAccepted(size_t listener_index, const asio::error_code& error,
                  asio::ip::tcp::socket socket);
  void WaitForSighup();
  void CloseAcceptors();
  void CloseConnections();
  std::shared_ptr<asio::ssl::context> CurrentTlsContext() const;

  const std::shared_ptr<TlsServerState> state_;
  const TlsServerOptions& options_;  // state_->options.
  IoContextPool* const pool_;

  mutable absl::Mutex tls_mutex_;
  std::shared_ptr<asio::ssl::context> tls_context_ ABSL_GUARDED_BY(tls_mutex_);

  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::unique_ptr<asio::steady_timer>> accept_retry_timers_;
  std::unique_ptr<asio::signal_set> signals_;
  bool stopped_ = false;
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_TLS_SERVER_H_
