// One client's DoT connection: TLS handshake, 2-byte length framing,
// pipelined queries handed to the QueryHandler, responses written in
// completion order, and the idle timeout.
//
// A connection lives on one io_context; all its members are touched only
// from that context's thread. Handler completions from other threads are
// posted back to it. Reading pauses while max_queries_per_connection
// queries are in flight and resumes as responses are written.
//
// Idle timeout (RFC 7766 section 6.2.3, RFC 7828): the connection closes,
// with close_notify, when it has had no query in flight and received
// nothing for idle_timeout.
#ifndef ZTGATE_RESOLVER_TRANSPORT_DOT_CONNECTION_H_
#define ZTGATE_RESOLVER_TRANSPORT_DOT_CONNECTION_H_

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include "resolver/transport/dot_server_state.h"

namespace ztgate::resolver::transport {

class DotConnection : public std::enable_shared_from_this<DotConnection> {
 public:
  DotConnection(std::shared_ptr<DotServerState> state, asio::ip::tcp::socket socket,
                std::shared_ptr<asio::ssl::context> tls_context);

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
  void ReadMore();
  void OnRead(const asio::error_code& error, size_t bytes);
  // Hands every complete frame in read_buffer_ to the handler; false when
  // a malformed frame closed the connection.
  bool DispatchFrames();
  void Dispatch(std::string query);
  // Frames a response into pending_output_ and counts it.
  void QueueResponse(std::string response);
  // A response completed outside DispatchFrames(): queue, write, resume.
  void OnResponse(std::string response);
  void WriteMore();
  void OnWritten(const asio::error_code& error);
  void ArmIdleTimer();
  void OnIdleTimer(const asio::error_code& error);
  // Sends close_notify (bounded by kShutdownTimeout), then closes.
  void Shutdown(std::string reason);
  void Close(std::string_view reason);

  const std::shared_ptr<DotServerState> state_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  Stream stream_;
  asio::io_context* io_context_;  // The event loop this connection lives on.
  asio::steady_timer timer_;  // Handshake deadline, then idle timeout.
  ClientContext client_;
  std::string peer_;  // "address:port" for logs.

  // Bytes read and not yet framed; a frame is at most 2 + 65535 bytes.
  std::string read_buffer_;
  std::array<char, 16384> read_chunk_;
  bool reading_ = false;

  std::string pending_output_;  // Framed responses waiting for the next write.
  std::string write_buffer_;    // The frames of the write in flight.
  bool writing_ = false;
  bool dispatching_ = false;  // Inside DispatchFrames().
  std::chrono::steady_clock::time_point last_activity_;

  uint32_t in_flight_ = 0;
  bool established_ = false;
  bool shutting_down_ = false;
  bool closed_ = false;
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_DOT_CONNECTION_H_
