// One client's connection to a TlsServer: the TLS handshake, the client's
// certificate identity, reads and writes, the idle timeout and the orderly
// close. What the bytes mean is left to a SessionProtocol, chosen after the
// handshake: DoT framing on a DoT listener, and HTTP/2 or HTTP/1.1 by ALPN
// on a DoH listener.
//
// A connection lives on one io_context; all its members are touched only
// from that context's thread. Handler completions from other threads are
// posted back to it. Reading pauses while max_queries_per_connection
// queries are in flight, or while the protocol wants no input, and resumes
// as responses are written.
//
// Idle timeout (RFC 7766 section 6.2.3, RFC 7828): the connection closes,
// with close_notify, when it has had no query in flight and received
// nothing for idle_timeout.
#ifndef ZTGATE_RESOLVER_TRANSPORT_TLS_CONNECTION_H_
#define ZTGATE_RESOLVER_TRANSPORT_TLS_CONNECTION_H_

#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include "resolver/transport/session_protocol.h"
#include "resolver/transport/tls_server_state.h"

namespace ztgate::resolver::transport {

class TlsConnection : public std::enable_shared_from_this<TlsConnection>, private QuerySink {
 public:
  TlsConnection(std::shared_ptr<TlsServerState> state, asio::ip::tcp::socket socket,
                std::shared_ptr<asio::ssl::context> tls_context);
  ~TlsConnection() override;

  // Starts the handshake. Runs on the connection's io_context.
  void Start();
  // Closes the connection from any thread.
  void CloseFromAnyThread();

  const IpAddress& client_address() const;
  asio::any_io_executor executor() { return stream_.get_executor(); }
  // Closes a connection that was never started (rejected by a limit). It
  // was never admitted, so the server's counts are not touched.
  void Abort();

 private:
  using Stream = asio::ssl::stream<asio::ip::tcp::socket>;

  void OnHandshake(const asio::error_code& error);
  // Creates the protocol for the listener and the ALPN the client chose.
  void StartProtocol();
  void ReadMore();
  void OnRead(const asio::error_code& error, size_t bytes);

  // QuerySink.
  void SubmitQuery(std::string query, uint64_t request_id) override;
  bool CanSubmit() const override;

  // Gives a response to the protocol, or queues it while a protocol call
  // is running.
  void Deliver(uint64_t request_id, std::string response);
  // Runs queued deliveries, then writes, reads or closes as the protocol's
  // state requires. `keep_open` is what the protocol call returned.
  void AfterProtocolCall(bool keep_open);
  // Queues WriteMore() behind the event loop's ready handlers, and again
  // while reads keep completing from the TLS buffer, at most
  // kMaxWriteDeferrals times, so that their responses join the write.
  void ScheduleWrite();
  void PostWriteCheck(int round);
  void WriteMore();
  void OnWritten(const asio::error_code& error);
  void ArmIdleTimer();
  void OnIdleTimer(const asio::error_code& error);
  // Lets the protocol send its last words (HTTP/2 GOAWAY), then shuts down.
  void CloseGracefully(std::string reason);
  // Sends close_notify (bounded by kShutdownTimeout), then closes.
  void Shutdown(std::string reason);
  void Close(std::string_view reason);

  const std::shared_ptr<TlsServerState> state_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  Stream stream_;
  asio::io_context* io_context_;  // The event loop this connection lives on.
  asio::steady_timer timer_;  // Handshake deadline, then idle timeout.
  ClientContext client_;
  std::string peer_;  // "address:port" for logs.
  std::unique_ptr<SessionProtocol> protocol_;

  std::array<char, 16384> read_chunk_;
  bool reading_ = false;

  std::string write_buffer_;  // The bytes of the write in flight.
  bool writing_ = false;
  bool write_scheduled_ = false;  // A WriteMore() is posted.
  uint32_t reads_since_write_check_ = 0;
  // Set when the protocol or the server asked to close: close once output
  // is written, for close_reason_.
  bool close_after_write_ = false;
  std::string close_reason_ = "closed by the protocol";
  // Inside a protocol call; responses completed meanwhile wait in
  // deferred_responses_.
  bool in_protocol_call_ = false;
  std::deque<std::pair<uint64_t, std::string>> deferred_responses_;
  std::chrono::steady_clock::time_point last_activity_;

  uint32_t in_flight_ = 0;
  bool established_ = false;
  bool shutting_down_ = false;
  bool closed_ = false;
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_TLS_CONNECTION_H_
