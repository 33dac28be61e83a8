// DNS over TLS framing (RFC 7858, RFC 7766): every message, in both
// directions, is preceded by its length as a 2-byte big-endian integer.
// Pipelined queries are handed over as they arrive and answered in
// completion order, so a slow query does not hold back the others.
//
// A frame of length 0 to 11 cannot hold a DNS header, so it cannot be
// answered with FORMERR (there is no ID to echo). It is counted as
// malformed_frames and the connection closes (RFC 7766 section 6.2.4
// leaves the reaction to the server). Anything of 12 bytes or more goes to
// the handler, which answers a malformed message with FORMERR.
#ifndef ZTGATE_RESOLVER_TRANSPORT_DOT_SESSION_H_
#define ZTGATE_RESOLVER_TRANSPORT_DOT_SESSION_H_

#include <string>
#include <string_view>

#include "resolver/transport/session_protocol.h"
#include "resolver/transport/tls_server_state.h"

namespace ztgate::resolver::transport {

class DotSession : public SessionProtocol {
 public:
  // `peer` names the client in log lines.
  DotSession(TlsServerState& state, QuerySink& sink, std::string_view peer)
      : state_(state), sink_(sink), peer_(peer) {}

  bool OnReceive(std::string_view bytes) override;
  bool OnResponse(uint64_t request_id, std::string response) override;
  void TakeOutput(std::string& out) override;

 private:
  // Submits every complete frame in input_ while the connection accepts
  // more queries; false on a malformed frame.
  bool SubmitFrames();

  TlsServerState& state_;
  QuerySink& sink_;
  std::string peer_;
  std::string input_;   // Bytes read and not yet framed.
  std::string output_;  // Framed responses not yet taken.
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_DOT_SESSION_H_
