// DNS over HTTPS on HTTP/1.1 (RFC 9112): persistent connections, pipelined
// requests answered in request order, Content-Length bodies and
// "Expect: 100-continue". Requests are judged by doh_request.h.
//
// Framing errors (a malformed request line or header field, a head over
// max_header_bytes, a Transfer-Encoding, which this server does not
// decode) get their status with "Connection: close", and the connection
// closes once every earlier response is sent. A request that is well
// framed but not a DoH query (404, 405, 415) leaves the connection open:
// its body is read and dropped.
#ifndef ZTGATE_RESOLVER_TRANSPORT_DOH_HTTP1_SESSION_H_
#define ZTGATE_RESOLVER_TRANSPORT_DOH_HTTP1_SESSION_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "resolver/transport/doh_request.h"
#include "resolver/transport/session_protocol.h"
#include "resolver/transport/tls_server_state.h"

namespace ztgate::resolver::transport {

class Http1Session : public SessionProtocol {
 public:
  Http1Session(TlsServerState& state, QuerySink& sink, std::string_view peer)
      : state_(state), sink_(sink), peer_(peer) {}

  bool OnReceive(std::string_view bytes) override;
  bool OnResponse(uint64_t request_id, std::string response) override;
  void TakeOutput(std::string& out) override;
  bool WantsInput() const override;
  bool Finished() const override;

 private:
  // One request and, once known, its serialized response.
  struct Exchange {
    uint64_t id = 0;
    bool ready = false;
    // A HEAD request: its response carries the header fields only
    // (RFC 9110 section 9.3.2).
    bool head = false;
    std::string response;
  };
  // The request whose body is being read.
  struct PendingBody {
    uint64_t id = 0;
    size_t length = 0;
    // A POST query; any other body (a GET's, or that of a request already
    // answered with an error) is read and dropped.
    bool is_query = false;
  };

  // Handles buffered requests while the pipeline has room.
  void HandleRequests();
  // Parses one request head from input_; false when it is incomplete.
  bool HandleHead();
  // Handles the body of pending_body_; false when it is incomplete.
  bool HandleBody();
  // Responds to request `id` with an error status. `close` also ends the
  // connection after it, for errors that leave the framing unknown.
  void RespondError(uint64_t id, HttpStatus status, std::string_view error, bool close);
  void Respond(uint64_t id, HttpStatus status, std::string_view content_type,
               std::string_view cache_control, std::string_view body);
  // Moves the responses at the head of the pipeline into output_.
  void ReleaseReady();

  TlsServerState& state_;
  QuerySink& sink_;
  std::string peer_;
  std::string input_;
  std::string output_;
  std::deque<Exchange> exchanges_;  // In request order.
  uint64_t next_id_ = 1;
  bool reading_body_ = false;
  PendingBody pending_body_;
  // No request head after the current ones is read, because the client
  // asked to close or the framing is lost.
  bool closing_ = false;
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_DOH_HTTP1_SESSION_H_
