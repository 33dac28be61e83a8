// The application protocol spoken over one client's TLS connection: DoT's
// length-prefixed frames, HTTP/1.1 or HTTP/2. TlsConnection owns the
// socket, the TLS state, the timers and the admission. A SessionProtocol
// turns received bytes into DNS queries and responses into bytes to send.
//
// Every call happens on the connection's thread and never re-enters: a
// response that the handler completes during OnReceive() or OnResponse()
// is delivered after that call returns.
#ifndef ZTGATE_RESOLVER_TRANSPORT_SESSION_PROTOCOL_H_
#define ZTGATE_RESOLVER_TRANSPORT_SESSION_PROTOCOL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ztgate::resolver::transport {

// The connection, as the interface a protocol calls.
class QuerySink {
 public:
  virtual ~QuerySink() = default;

  // Hands a DNS message of at least 12 bytes to the QueryHandler. Its
  // response comes back through SessionProtocol::OnResponse with the same
  // `request_id`.
  virtual void SubmitQuery(std::string query, uint64_t request_id) = 0;
  // False while the connection's queries in flight are at the limit.
  virtual bool CanSubmit() const = 0;
};

class SessionProtocol {
 public:
  virtual ~SessionProtocol() = default;

  // Consumes bytes read from the client. Returns false when the connection
  // must close once the output queued so far is written.
  virtual bool OnReceive(std::string_view bytes) = 0;
  // The handler's response to request `request_id`; empty when the handler
  // produced none. Returns false as OnReceive() does.
  virtual bool OnResponse(uint64_t request_id, std::string response) = 0;
  // Appends the bytes that are ready to send to `out`.
  virtual void TakeOutput(std::string& out) = 0;
  // False while the protocol wants no more input for now, for example
  // while HTTP/1.1 responses wait in order.
  virtual bool WantsInput() const { return true; }
  // True once the protocol has nothing more to send and wants the
  // connection closed, for example after an HTTP/1.1 "Connection: close".
  virtual bool Finished() const { return false; }
  // Queues what the protocol sends before the server closes the connection
  // on its own, at the idle timeout or on stop: HTTP/2 sends GOAWAY.
  virtual void PrepareClose() {}
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_SESSION_PROTOCOL_H_
