// One persistent DoT connection to one upstream resolver, carrying many
// queries at once (RFC 7766 section 6.2.1.1 pipelining).
//
// Each query's ID is rewritten to an ID unique among this connection's
// queries in flight and restored in the response, so queries from many
// clients that happen to share an ID never collide. A response is accepted
// only when its ID is in flight and its question matches the query's
// (compared case-insensitively, since an upstream may echo the name in
// another case).
//
// The connection opens on the first query and stays open until the
// upstream closes it; the next query then reopens it. After a failed
// connect it waits an exponential backoff (100 ms doubling up to
// max_backoff), during which queries fail at once with UNAVAILABLE.
//
// Errors given to the callback: DEADLINE_EXCEEDED when the upstream did not
// answer within its timeout; UNAVAILABLE when connecting, the TLS
// handshake, certificate or pin verification, or the connection failed.
//
// All state lives on one io_context; Send() may be called from any thread.
#ifndef ZTGATE_RESOLVER_TRANSPORT_UPSTREAM_CONNECTION_H_
#define ZTGATE_RESOLVER_TRANSPORT_UPSTREAM_CONNECTION_H_

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "resolver/resolver_config.h"
#include "resolver/transport/log_limiter.h"
#include "resolver/transport/tls_context.h"
#include "resolver/transport/transport_stats.h"

namespace ztgate::resolver::transport {

using UpstreamCallback = std::function<void(absl::StatusOr<std::string> response)>;

class UpstreamConnection : public std::enable_shared_from_this<UpstreamConnection> {
 public:
  UpstreamConnection(asio::io_context& io_context, const UpstreamConfig& config,
                     std::shared_ptr<asio::ssl::context> tls_context, absl::Duration max_backoff,
                     std::shared_ptr<AtomicCounters<UpstreamPoolCounters>> stats);

  // Sends `query` (a DNS message of at least 12 bytes) and calls `done`
  // once, on this connection's event loop.
  void Send(std::string query, UpstreamCallback done);
  // Fails every query with UNAVAILABLE and closes. Any thread.
  void Shutdown();

 private:
  using Stream = asio::ssl::stream<asio::ip::tcp::socket>;
  enum class State { kIdle, kConnecting, kConnected, kBackoff };

  struct Query {
    uint16_t original_id = 0;
    std::string question;  // The question section, to check the response.
    UpstreamCallback done;
    std::unique_ptr<asio::steady_timer> deadline;
  };

  void SendOnLoop(std::string query, UpstreamCallback done);
  uint16_t AllocateId();
  void Connect();
  void OnConnected(const asio::error_code& error);
  void OnHandshake(const asio::error_code& error);
  void OnConnectDeadline(uint64_t generation, const asio::error_code& error);
  void ReadMore();
  void OnRead(const asio::error_code& error, size_t bytes);
  void HandleResponse(std::string response);
  void Enqueue(const std::string& wire);
  void WriteMore();
  void OnWritten(const asio::error_code& error);
  void OnQueryDeadline(uint16_t id, const asio::error_code& error);
  void Complete(uint16_t id, absl::StatusOr<std::string> result);
  // Closes the TLS connection and fails every query with `status`.
  void Fail(const absl::Status& status, bool connect_failed);
  // Logs `message` (which names the upstream) and `detail`, rate-limited.
  void LogError(std::string_view message, std::string_view detail);

  asio::io_context& io_context_;
  const UpstreamConfig config_;
  const std::string name_;  // "address:port" for logs and errors.
  std::shared_ptr<asio::ssl::context> tls_context_;
  const std::chrono::milliseconds max_backoff_;
  std::shared_ptr<AtomicCounters<UpstreamPoolCounters>> stats_;
  LogLimiter log_limiter_;

  State state_ = State::kIdle;
  uint64_t generation_ = 0;  // Counts connects, to ignore stale completions.
  std::unique_ptr<Stream> stream_;
  asio::steady_timer connect_deadline_;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point backoff_until_;
  SslSessionPtr session_;  // Resumed on the next connect.

  absl::flat_hash_map<uint16_t, Query> in_flight_;
  uint16_t next_id_;

  std::string read_buffer_;
  std::array<char, 16384> read_chunk_;
  // Framed queries waiting to be written, also while connecting. A query
  // that times out here is still sent; its late response is dropped.
  std::deque<std::string> write_queue_;
  std::string write_buffer_;
  bool writing_ = false;
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_UPSTREAM_CONNECTION_H_
