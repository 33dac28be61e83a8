// DNS over HTTPS on HTTP/2 (RFC 9113), over nghttp2's server session: one
// request per stream, answered as its query completes. Requests are judged
// by doh_request.h.
//
// Limits: SETTINGS_MAX_CONCURRENT_STREAMS is max_queries_per_connection,
// and SETTINGS_MAX_HEADER_LIST_SIZE advertises max_header_bytes, counted as
// RFC 9113 section 6.5.2 does (name + value + 32 per field). A request over
// it gets 431 (414 when :path alone is longer). A body over 65535 bytes is
// answered with 413 at once and the stream is then reset with NO_ERROR
// (RFC 9113 section 8.1). Protocol errors are nghttp2's to answer, with
// RST_STREAM or GOAWAY; the connection closes after a GOAWAY.
#ifndef ZTGATE_RESOLVER_TRANSPORT_DOH_HTTP2_SESSION_H_
#define ZTGATE_RESOLVER_TRANSPORT_DOH_HTTP2_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nghttp2/nghttp2.h>

#include "absl/container/flat_hash_map.h"
#include "resolver/transport/doh_request.h"
#include "resolver/transport/session_protocol.h"
#include "resolver/transport/tls_server_state.h"

namespace ztgate::resolver::transport {

class Http2Session : public SessionProtocol {
 public:
  Http2Session(TlsServerState& state, QuerySink& sink, std::string_view peer);
  ~Http2Session() override;

  bool OnReceive(std::string_view bytes) override;
  bool OnResponse(uint64_t request_id, std::string response) override;
  void TakeOutput(std::string& out) override;
  bool Finished() const override;
  void PrepareClose() override;

 private:
  struct Stream {
    std::string method;
    std::string path;
    std::string content_type;
    std::string body;
    size_t header_bytes = 0;
    // Set when the request is already known to fail, while it is still
    // being received.
    HttpStatus error_status = HttpStatus::kOk;
    std::string_view error;
    bool answered = false;        // A response is submitted.
    bool reset_after_send = false;  // Reset once the response is sent.
    std::string response_body;
    size_t response_offset = 0;
  };

  // nghttp2 callbacks; `user_data` is the session.
  static int OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame,
                            void* user_data);
  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame,
                      const uint8_t* name, size_t name_length, const uint8_t* value,
                      size_t value_length, uint8_t flags, void* user_data);
  static int OnDataChunk(nghttp2_session* session, uint8_t flags, int32_t stream_id,
                         const uint8_t* data, size_t length, void* user_data);
  static int OnFrameReceived(nghttp2_session* session, const nghttp2_frame* frame,
                             void* user_data);
  static int OnFrameSent(nghttp2_session* session, const nghttp2_frame* frame,
                         void* user_data);
  static int OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                           void* user_data);
  static ssize_t ReadResponseBody(nghttp2_session* session, int32_t stream_id, uint8_t* buffer,
                                  size_t length, uint32_t* data_flags,
                                  nghttp2_data_source* source, void* user_data);

  Stream* FindStream(int32_t stream_id);
  // Handles the complete request on `stream_id`: responds with an error or
  // submits its query.
  void HandleRequest(int32_t stream_id, Stream& stream);
  void RespondError(int32_t stream_id, Stream& stream, HttpStatus status,
                    std::string_view error);
  void Respond(int32_t stream_id, Stream& stream, HttpStatus status,
               std::string_view content_type, std::string_view cache_control,
               std::string body);

  TlsServerState& state_;
  QuerySink& sink_;
  std::string peer_;
  nghttp2_session* session_ = nullptr;
  bool failed_ = false;  // nghttp2 reported a fatal error.
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_DOH_HTTP2_SESSION_H_
