// DoH over HTTP/2; see doh_http2_session.h.
#include "resolver/transport/doh_http2_session.h"

#include <algorithm>
#include <cstring>

#include "common/str_cat.h"
#include "resolver/transport/transport_limits.h"

namespace ztgate::resolver::transport {
namespace {

// RFC 9113 section 6.5.2: each field counts its name, its value and 32.
constexpr size_t kFieldOverheadBytes = 32;

std::string_view View(const uint8_t* data, size_t length) {
  return {reinterpret_cast<const char*>(data), length};
}

nghttp2_nv Field(std::string_view name, std::string_view value) {
  // nghttp2 copies names and values when the response is submitted.
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

Http2Session& SessionOf(void* user_data) { return *static_cast<Http2Session*>(user_data); }

}  // namespace

Http2Session::Http2Session(TlsServerState& state, QuerySink& sink, std::string_view peer)
    : state_(state), sink_(sink), peer_(peer) {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) {
    failed_ = true;
    return;
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrameReceived);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, OnFrameSent);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnStreamClose);
  const int created = nghttp2_session_server_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (created != 0) {
    session_ = nullptr;
    failed_ = true;
    return;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, state_.options.limits.max_queries_per_connection},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, state_.options.doh.max_header_bytes},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0) {
    failed_ = true;
  }
}

Http2Session::~Http2Session() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool Http2Session::OnReceive(std::string_view bytes) {
  if (failed_) return false;
  const ssize_t consumed = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (consumed < 0) {
    // Fatal errors only, such as a client that does not start with the
    // HTTP/2 preface. Protocol errors nghttp2 answers with GOAWAY itself.
    state_.stats.Add(&ServerCounters::http2_session_errors);
    state_.LogError("HTTP/2 session failed", peer_, nghttp2_strerror(static_cast<int>(consumed)));
    failed_ = true;
    return false;
  }
  return true;
}

void Http2Session::TakeOutput(std::string& out) {
  if (failed_) return;
  while (true) {
    const uint8_t* data = nullptr;
    const ssize_t length = nghttp2_session_mem_send(session_, &data);
    if (length < 0) {
      state_.stats.Add(&ServerCounters::http2_session_errors);
      state_.LogError("HTTP/2 send failed", peer_, nghttp2_strerror(static_cast<int>(length)));
      failed_ = true;
      return;
    }
    if (length == 0) return;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
  }
}

bool Http2Session::Finished() const {
  return failed_ ||
         (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0);
}

void Http2Session::PrepareClose() {
  // GOAWAY with NO_ERROR and the last stream processed (RFC 9113 section
  // 6.8), so the client knows which requests to retry elsewhere.
  if (!failed_) nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
}

bool Http2Session::OnResponse(uint64_t request_id, std::string response) {
  Stream* stream = FindStream(static_cast<int32_t>(request_id));
  if (stream == nullptr) {
    // The client reset the stream while its query was in flight.
    state_.stats.Add(&ServerCounters::responses_after_close);
    return true;
  }
  if (response.size() < kDnsHeaderBytes || response.size() > kMaxDnsMessageBytes) {
    state_.stats.Add(&ServerCounters::responses_dropped);
    RespondError(static_cast<int32_t>(request_id), *stream, HttpStatus::kBadGateway,
                 "no DNS response\n");
    return true;
  }
  state_.stats.Add(&ServerCounters::responses);
  const std::string cache_control = CacheControlFor(response);
  Respond(static_cast<int32_t>(request_id), *stream, HttpStatus::kOk, kDnsMessageType,
          cache_control, std::move(response));
  return true;
}

Http2Session::Stream* Http2Session::FindStream(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

int Http2Session::OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  SessionOf(user_data).streams_[frame->hd.stream_id] = std::make_unique<Stream>();
  return 0;
}

int Http2Session::OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                           size_t name_length, const uint8_t* value, size_t value_length,
                           uint8_t, void* user_data) {
  Http2Session& self = SessionOf(user_data);
  Stream* stream = self.FindStream(frame->hd.stream_id);
  // Trailer fields of a request carry nothing DoH uses.
  if (stream == nullptr || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  const size_t max_bytes = self.state_.options.doh.max_header_bytes;
  stream->header_bytes += name_length + value_length + kFieldOverheadBytes;
  const std::string_view field = View(name, name_length);
  if (field == ":path" && value_length > max_bytes) {
    stream->error_status = HttpStatus::kUriTooLong;
    stream->error = "the request target is too long\n";
  } else if (stream->header_bytes > max_bytes && stream->error_status == HttpStatus::kOk) {
    stream->error_status = HttpStatus::kHeaderFieldsTooLarge;
    stream->error = "the request header fields are too large\n";
  }
  if (stream->error_status != HttpStatus::kOk) return 0;
  if (field == ":method") {
    stream->method.assign(View(value, value_length));
  } else if (field == ":path") {
    stream->path.assign(View(value, value_length));
  } else if (field == "content-type") {
    stream->content_type.assign(View(value, value_length));
  }
  return 0;
}

int Http2Session::OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                              size_t length, void* user_data) {
  Http2Session& self = SessionOf(user_data);
  Stream* stream = self.FindStream(stream_id);
  if (stream == nullptr || stream->answered) return 0;
  if (stream->body.size() + length > kMaxDnsMessageBytes) {
    stream->reset_after_send = true;
    self.RespondError(stream_id, *stream, HttpStatus::kContentTooLarge,
                      "the DNS message is longer than 65535 bytes\n");
    return 0;
  }
  stream->body.append(View(data, length));
  return 0;
}

int Http2Session::OnFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  const bool request_part = frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA;
  if (!request_part || (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
  Http2Session& self = SessionOf(user_data);
  Stream* stream = self.FindStream(frame->hd.stream_id);
  if (stream != nullptr && !stream->answered) self.HandleRequest(frame->hd.stream_id, *stream);
  return 0;
}

int Http2Session::OnFrameSent(nghttp2_session* session, const nghttp2_frame* frame,
                              void* user_data) {
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
  Stream* stream = SessionOf(user_data).FindStream(frame->hd.stream_id);
  if (stream != nullptr && stream->reset_after_send) {
    // The client may still be sending an oversized body: stop it.
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
  }
  return 0;
}

int Http2Session::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
  SessionOf(user_data).streams_.erase(stream_id);
  return 0;
}

void Http2Session::HandleRequest(int32_t stream_id, Stream& stream) {
  if (stream.error_status != HttpStatus::kOk) {
    RespondError(stream_id, stream, stream.error_status, stream.error);
    return;
  }
  DohHeadCheck check = CheckDohRequestHead(
      {.method = stream.method, .target = stream.path, .content_type = stream.content_type},
      state_.options.doh.path);
  if (check.status != HttpStatus::kOk) {
    RespondError(stream_id, stream, check.status, check.error);
    return;
  }
  if (check.expects_body) {
    std::string_view error;
    if (HttpStatus status = CheckDohBody(stream.body, error); status != HttpStatus::kOk) {
      RespondError(stream_id, stream, status, error);
      return;
    }
    check.query = std::move(stream.body);
  }
  sink_.SubmitQuery(std::move(check.query), static_cast<uint64_t>(stream_id));
}

void Http2Session::RespondError(int32_t stream_id, Stream& stream, HttpStatus status,
                                std::string_view error) {
  Respond(stream_id, stream, status, "text/plain; charset=utf-8", "no-store", std::string(error));
}

void Http2Session::Respond(int32_t stream_id, Stream& stream, HttpStatus status,
                           std::string_view content_type, std::string_view cache_control,
                           std::string body) {
  CountHttpStatus(state_.stats, status);
  stream.answered = true;
  stream.response_body = std::move(body);
  stream.response_offset = 0;
  const std::string status_text = StrCat(static_cast<int>(status));
  const std::string length_text = StrCat(stream.response_body.size());
  const nghttp2_nv fields[] = {
      Field(":status", status_text),
      Field("date", HttpDate()),
      Field("content-type", content_type),
      Field("content-length", length_text),
      Field("cache-control", cache_control),
      Field("allow", "GET, POST"),
  };
  const size_t field_count =
      status == HttpStatus::kMethodNotAllowed ? std::size(fields) : std::size(fields) - 1;
  nghttp2_data_provider provider;
  provider.source.ptr = &stream;
  provider.read_callback = ReadResponseBody;
  // A response to HEAD has no content (RFC 9110 section 9.3.2): HEADERS
  // alone ends the stream.
  const bool head = stream.method == "HEAD";
  const int submitted = nghttp2_submit_response(session_, stream_id, fields, field_count,
                                                head ? nullptr : &provider);
  if (submitted != 0) {
    state_.LogError("HTTP/2 response failed", peer_, nghttp2_strerror(submitted));
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
  }
}

ssize_t Http2Session::ReadResponseBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                                       uint32_t* data_flags, nghttp2_data_source* source,
                                       void*) {
  auto* stream = static_cast<Stream*>(source->ptr);
  const size_t count = std::min(length, stream->response_body.size() - stream->response_offset);
  memcpy(buffer, stream->response_body.data() + stream->response_offset, count);
  stream->response_offset += count;
  if (stream->response_offset == stream->response_body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(count);
}

}  // namespace ztgate::resolver::transport
