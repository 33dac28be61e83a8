// Tests of the DoH sessions without sockets: the HTTP/2 session talks to a
// real nghttp2 client session, and the HTTP/1.1 session gets raw bytes. A
// recording sink stands in for TlsConnection (the end-to-end tests in
// transport_doh_server_test.cc run both over real TLS with curl, nghttp
// and kdig); it lets a test answer queries in any order, which no real
// upstream can be made to do on demand.
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "resolver/transport/doh_http1_session.h"
#include "resolver/transport/doh_http2_session.h"
#include "tests/resolver/dns_samples.h"

namespace ztgate::resolver::transport {
namespace {

using ::testing::HasSubstr;

class RecordingSink : public QuerySink {
 public:
  void SubmitQuery(std::string query, uint64_t request_id) override {
    queries.emplace_back(request_id, std::move(query));
  }
  bool CanSubmit() const override { return true; }

  std::deque<std::pair<uint64_t, std::string>> queries;
};

TlsServerOptions DohOptions() {
  TlsServerOptions options;
  options.protocol = ServerProtocol::kDoh;
  options.limits.max_queries_per_connection = 4;
  options.doh.max_header_bytes = 1024;
  return options;
}

// What the client saw on one stream.
struct StreamResult {
  std::map<std::string, std::string> headers;
  std::string body;
  bool closed = false;
  uint32_t reset_code = 0;
};

// An nghttp2 client session that submits requests and decodes what the
// server session sends.
class Http2Client {
 public:
  Http2Client() {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnData);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrame);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnClose);
    nghttp2_session_client_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Http2Client() { nghttp2_session_del(session_); }

  int32_t Submit(const std::string& method, const std::string& path,
                 const std::string& content_type = "", const std::string& body = "",
                 const std::string& extra_value = "") {
    std::vector<nghttp2_nv> fields = {Field(":method", method), Field(":scheme", "https"),
                                      Field(":authority", "doh.lab"), Field(":path", path)};
    if (!content_type.empty()) fields.push_back(Field("content-type", content_type));
    if (!extra_value.empty()) fields.push_back(Field("x-extra", extra_value));
    bodies_.push_back(body);
    nghttp2_data_provider provider{};
    provider.source.ptr = &bodies_.back();
    provider.read_callback = ReadBody;
    return nghttp2_submit_request(session_, nullptr, fields.data(), fields.size(),
                                  body.empty() ? nullptr : &provider, nullptr);
  }

  // Everything the client has to send.
  std::string Output() {
    std::string out;
    const uint8_t* data = nullptr;
    for (ssize_t n = nghttp2_session_mem_send(session_, &data); n > 0;
         n = nghttp2_session_mem_send(session_, &data)) {
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    return out;
  }

  void Receive(const std::string& bytes) {
    ASSERT_GE(nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                       bytes.size()),
              0);
  }

  std::map<int32_t, StreamResult> streams;
  std::vector<uint8_t> frame_types;
  uint32_t max_concurrent_streams = 0;

 private:
  // `value` must outlive the submit call: a literal or a caller's string,
  // never a temporary.
  static nghttp2_nv Field(const char* name, std::string_view value) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
            reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), strlen(name),
            value.size(), NGHTTP2_NV_FLAG_NONE};
  }
  static Http2Client& Self(void* user_data) { return *static_cast<Http2Client*>(user_data); }
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user_data) {
    Self(user_data).streams[frame->hd.stream_id].headers[std::string(
        reinterpret_cast<const char*>(name), name_length)] =
        std::string(reinterpret_cast<const char*>(value), value_length);
    return 0;
  }
  static int OnData(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                    size_t length, void* user_data) {
    Self(user_data).streams[stream_id].body.append(reinterpret_cast<const char*>(data), length);
    return 0;
  }
  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Http2Client& self = Self(user_data);
    self.frame_types.push_back(frame->hd.type);
    if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
      for (size_t i = 0; i < frame->settings.niv; ++i) {
        if (frame->settings.iv[i].settings_id == NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) {
          self.max_concurrent_streams = frame->settings.iv[i].value;
        }
      }
    }
    if (frame->hd.type == NGHTTP2_RST_STREAM) {
      self.streams[frame->hd.stream_id].reset_code = frame->rst_stream.error_code;
    }
    return 0;
  }
  static int OnClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
    Self(user_data).streams[stream_id].closed = true;
    return 0;
  }
  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void*) {
    auto& body = *static_cast<std::string*>(source->ptr);
    const size_t count = std::min(length, body.size());
    memcpy(buffer, body.data(), count);
    body.erase(0, count);
    if (body.empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(count);
  }

  nghttp2_session* session_ = nullptr;
  std::deque<std::string> bodies_;  // One per request; a deque keeps them in place.
};

class Http2SessionTest : public ::testing::Test {
 protected:
  // Moves bytes both ways until neither side has more to send.
  void Exchange() {
    for (int round = 0; round < 8; ++round) {
      const std::string to_server = client_.Output();
      if (!to_server.empty()) {
        ASSERT_TRUE(session_.OnReceive(to_server));
      }
      std::string to_client;
      session_.TakeOutput(to_client);
      if (to_server.empty() && to_client.empty()) return;
      client_.Receive(to_client);
    }
  }

  TlsServerState state_{DohOptions(), nullptr};
  RecordingSink sink_;
  Http2Session session_{state_, sink_, "test"};
  Http2Client client_;
};

TEST_F(Http2SessionTest, PostRoundTrip) {
  const std::string query = dns::samples::Query("www.example.com", 1, 0, false, false);
  const int32_t stream = client_.Submit("POST", "/dns-query", "application/dns-message", query);
  Exchange();
  EXPECT_EQ(client_.max_concurrent_streams, 4u);
  ASSERT_EQ(sink_.queries.size(), 1u);
  EXPECT_EQ(sink_.queries[0].first, static_cast<uint64_t>(stream));
  EXPECT_EQ(sink_.queries[0].second, query);

  ASSERT_TRUE(session_.OnResponse(sink_.queries[0].first, dns::samples::AnswerA()));
  Exchange();
  const StreamResult& result = client_.streams[stream];
  EXPECT_EQ(result.headers.at(":status"), "200");
  EXPECT_EQ(result.headers.at("content-type"), "application/dns-message");
  EXPECT_EQ(result.headers.at("cache-control"), "max-age=300");
  EXPECT_EQ(result.body, dns::samples::AnswerA());
  EXPECT_TRUE(result.closed);
}

TEST_F(Http2SessionTest, ResponsesCompleteInAnyOrder) {
  const std::string query = dns::samples::Query("www.example.com", 1, 0, false, false);
  const int32_t first = client_.Submit("POST", "/dns-query", "application/dns-message", query);
  const int32_t second = client_.Submit("POST", "/dns-query", "application/dns-message", query);
  Exchange();
  ASSERT_EQ(sink_.queries.size(), 2u);
  ASSERT_TRUE(session_.OnResponse(static_cast<uint64_t>(second), dns::samples::AnswerNxdomain()));
  Exchange();
  EXPECT_TRUE(client_.streams[second].closed);
  EXPECT_FALSE(client_.streams[first].closed) << "the first stream waits for its own answer";
  ASSERT_TRUE(session_.OnResponse(static_cast<uint64_t>(first), ""));
  Exchange();
  EXPECT_EQ(client_.streams[first].headers.at(":status"), "502");
  EXPECT_EQ(client_.streams[second].headers.at("cache-control"), "max-age=300");
}

TEST_F(Http2SessionTest, OversizedBodyGets413AndReset) {
  const int32_t stream =
      client_.Submit("POST", "/dns-query", "application/dns-message", std::string(70000, 'x'));
  // The client's flow-control window (65535 bytes) holds the body back
  // until the server's WINDOW_UPDATE, so several rounds go by.
  Exchange();
  Exchange();
  EXPECT_EQ(client_.streams[stream].headers.at(":status"), "413");
  EXPECT_TRUE(client_.streams[stream].closed);
  EXPECT_TRUE(sink_.queries.empty());
}

TEST_F(Http2SessionTest, LargeHeadersGet431) {
  const int32_t stream = client_.Submit("GET", "/dns-query?dns=AAAA", "", "",
                                        std::string(2000, 'h'));
  Exchange();
  EXPECT_EQ(client_.streams[stream].headers.at(":status"), "431");
  EXPECT_TRUE(sink_.queries.empty());
}

TEST_F(Http2SessionTest, PrepareCloseSendsGoaway) {
  Exchange();
  session_.PrepareClose();
  Exchange();
  EXPECT_THAT(client_.frame_types, ::testing::Contains(NGHTTP2_GOAWAY));
  EXPECT_TRUE(session_.Finished());
}

TEST_F(Http2SessionTest, Http1BytesOnHttp2FailTheSession) {
  EXPECT_FALSE(session_.OnReceive("GET /dns-query HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(state_.stats.Snapshot().http2_session_errors, 1u);
}

class Http1SessionTest : public ::testing::Test {
 protected:
  std::string Output() {
    std::string out;
    session_.TakeOutput(out);
    return out;
  }

  TlsServerState state_{DohOptions(), nullptr};
  RecordingSink sink_;
  Http1Session session_{state_, sink_, "test"};
};

TEST_F(Http1SessionTest, PipelinedResponsesLeaveInRequestOrder) {
  const std::string get = "GET /dns-query?dns=AAABAAABAAAAAAAAAWEHZXhhbXBsZQAAAQAB HTTP/1.1\r\n"
                          "Host: doh.lab\r\n\r\n";
  ASSERT_TRUE(session_.OnReceive(get + get));
  ASSERT_EQ(sink_.queries.size(), 2u);
  ASSERT_TRUE(session_.OnResponse(sink_.queries[1].first, dns::samples::AnswerNxdomain()));
  EXPECT_EQ(Output(), "") << "the second response waits for the first";
  ASSERT_TRUE(session_.OnResponse(sink_.queries[0].first, dns::samples::AnswerA()));
  const std::string out = Output();
  const size_t first = out.find(dns::samples::AnswerA());
  const size_t second = out.find(dns::samples::AnswerNxdomain());
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_FALSE(session_.Finished());
}

TEST_F(Http1SessionTest, PipelineDepthIsLimited) {
  const std::string get = "GET /dns-query?dns=AAABAAABAAAAAAAAAWEHZXhhbXBsZQAAAQAB HTTP/1.1\r\n"
                          "Host: doh.lab\r\n\r\n";
  std::string many;
  for (int i = 0; i < 6; ++i) many += get;
  ASSERT_TRUE(session_.OnReceive(many));
  EXPECT_EQ(sink_.queries.size(), 4u) << "max_queries_per_connection is 4";
  EXPECT_FALSE(session_.WantsInput());
  ASSERT_TRUE(session_.OnResponse(sink_.queries[0].first, dns::samples::AnswerA()));
  EXPECT_EQ(sink_.queries.size(), 5u) << "a buffered request starts once a slot frees";
}

TEST_F(Http1SessionTest, HeadSizeLimitIsExact) {
  // A head of exactly max_header_bytes (1024) with its blank line passes.
  std::string head = "GET /dns-query?dns=AAABAAABAAAAAAAAAWEHZXhhbXBsZQAAAQAB HTTP/1.1\r\n"
                     "Host: doh.lab\r\nX-Pad: ";
  head += std::string(1024 - head.size() - 4, 'p') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 1024u);
  ASSERT_TRUE(session_.OnReceive(head));
  EXPECT_EQ(sink_.queries.size(), 1u);

  Http1Session other(state_, sink_, "test");
  const std::string longer = head.substr(0, head.size() - 4) + "q\r\n\r\n";
  ASSERT_TRUE(other.OnReceive(longer));
  std::string out;
  other.TakeOutput(out);
  EXPECT_THAT(out, HasSubstr("HTTP/1.1 431 Request Header Fields Too Large"));
  EXPECT_TRUE(other.Finished());
}

TEST_F(Http1SessionTest, HeadResponseHasNoContent) {
  // HEAD, then GET on the same connection: the second response must start
  // right after the first one's header block.
  ASSERT_TRUE(session_.OnReceive(
      "HEAD /dns-query HTTP/1.1\r\nHost: doh.lab\r\n\r\n"
      "GET /elsewhere HTTP/1.1\r\nHost: doh.lab\r\n\r\n"));
  const std::string out = Output();
  const size_t second = out.find("HTTP/1.1 404");
  ASSERT_NE(second, std::string::npos) << out;
  EXPECT_TRUE(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_EQ(out.substr(second - 4, 4), "\r\n\r\n") << out;
}

TEST_F(Http2SessionTest, HeadResponseHasNoContent) {
  const int32_t stream = client_.Submit("HEAD", "/dns-query");
  Exchange();
  EXPECT_EQ(client_.streams[stream].headers.at(":status"), "405");
  EXPECT_TRUE(client_.streams[stream].body.empty());
  EXPECT_TRUE(client_.streams[stream].closed);
  EXPECT_EQ(client_.streams[stream].reset_code, 0u);
}

TEST_F(Http1SessionTest, BareLineFeedsAreAccepted) {
  ASSERT_TRUE(session_.OnReceive(
      "GET /dns-query?dns=AAABAAABAAAAAAAAAWEHZXhhbXBsZQAAAQAB HTTP/1.1\nHost: doh.lab\n\n"));
  EXPECT_EQ(sink_.queries.size(), 1u);
}

TEST_F(Http1SessionTest, Http10ClosesAfterResponse) {
  ASSERT_TRUE(session_.OnReceive(
      "GET /dns-query?dns=AAABAAABAAAAAAAAAWEHZXhhbXBsZQAAAQAB HTTP/1.0\r\n\r\n"));
  ASSERT_EQ(sink_.queries.size(), 1u);
  ASSERT_TRUE(session_.OnResponse(sink_.queries[0].first, dns::samples::AnswerA()));
  EXPECT_THAT(Output(), HasSubstr("connection: close"));
  EXPECT_TRUE(session_.Finished());
}

}  // namespace
}  // namespace ztgate::resolver::transport
