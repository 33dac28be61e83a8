// Writes the seed corpus of doh_session_fuzz into the directory given as
// the only argument: HTTP/1.1 requests written out by hand, and HTTP/2
// connections produced by nghttp2's own client session. Each file starts
// with the fuzz target's selector byte (bit 0: HTTP/2; the rest: chunk
// size - 1).
#include <nghttp2/nghttp2.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

// A base64url GET parameter and the matching wire query: "a.example A".
constexpr char kQueryBase64[] = "AAABAAABAAAAAAAAAWEHZXhhbXBsZQAAAQAB";
const std::string kQueryWire("\x00\x00\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                             "\x01" "a\x07" "example\x00\x00\x01\x00\x01", 27);

void Write(const std::string& dir, const std::string& name, char selector,
           const std::string& bytes) {
  std::ofstream(dir + "/" + name, std::ios::binary) << selector << bytes;
}

std::vector<std::pair<std::string, std::string>> Http1Seeds() {
  const std::string get = std::string("GET /dns-query?dns=") + kQueryBase64 +
                          " HTTP/1.1\r\nHost: doh.lab\r\n\r\n";
  const std::string post =
      "POST /dns-query HTTP/1.1\r\nHost: doh.lab\r\ncontent-type: application/dns-message\r\n"
      "Content-Length: 27\r\nExpect: 100-continue\r\n\r\n" + kQueryWire;
  return {
      {"http1-get", get},
      {"http1-post", post},
      {"http1-pipelined", get + post + get},
      {"http1-close", "GET /dns-query?dns=AA HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
      {"http1-chunked",
       "POST /dns-query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1b\r\n"},
      {"http1-bad-method", "PUT /dns-query HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"},
  };
}

ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length, uint32_t* flags,
                 nghttp2_data_source*, void*) {
  const size_t count = std::min(length, kQueryWire.size());
  memcpy(buffer, kQueryWire.data(), count);
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(count);
}

// `value` must outlive the submit call: a literal or a named string, never
// a temporary.
nghttp2_nv Field(const char* name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), strlen(name),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

// A client connection preface, SETTINGS and one GET and one POST stream,
// as nghttp2's client session serializes them.
std::string Http2Connection() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session* session = nullptr;
  nghttp2_session_client_new(&session, callbacks, nullptr);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);

  const std::string get_path = std::string("/dns-query?dns=") + kQueryBase64;
  const nghttp2_nv get[] = {Field(":method", "GET"), Field(":scheme", "https"),
                            Field(":authority", "doh.lab"), Field(":path", get_path)};
  nghttp2_submit_request(session, nullptr, get, 4, nullptr, nullptr);
  const nghttp2_nv post[] = {Field(":method", "POST"), Field(":scheme", "https"),
                             Field(":authority", "doh.lab"), Field(":path", "/dns-query"),
                             Field("content-type", "application/dns-message")};
  nghttp2_data_provider provider{};
  provider.read_callback = ReadBody;
  nghttp2_submit_request(session, nullptr, post, 5, &provider, nullptr);

  std::string bytes(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN);
  const uint8_t* data = nullptr;
  for (ssize_t n = nghttp2_session_mem_send(session, &data); n > 0;
       n = nghttp2_session_mem_send(session, &data)) {
    bytes.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  nghttp2_session_del(session);
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  for (const auto& [name, bytes] : Http1Seeds()) {
    Write(dir, name + "-whole", static_cast<char>(0xfe), bytes);
    Write(dir, name + "-bytewise", 0, bytes);
  }
  const std::string connection = Http2Connection();
  Write(dir, "http2-whole", static_cast<char>(0xff), connection);
  Write(dir, "http2-small-chunks", static_cast<char>(0x0f), connection);
  return 0;
}
