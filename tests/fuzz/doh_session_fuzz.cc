// libFuzzer target for the DoH sessions: the HTTP/1.1 parser and the
// HTTP/2 session over nghttp2, which read bytes from untrusted clients.
// The first input byte picks the protocol and the size of the chunks the
// rest is fed in. A recording sink stands in for the connection and
// answers each submitted query after the call that submitted it, as
// TlsConnection does: with the query itself, or with nothing for every
// third one (the 502 path). Crashes, leaks and sanitizer reports are the
// findings.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "resolver/transport/doh_http1_session.h"
#include "resolver/transport/doh_http2_session.h"

namespace ztgate::resolver::transport {
namespace {

class RecordingSink : public QuerySink {
 public:
  void SubmitQuery(std::string query, uint64_t request_id) override {
    pending.emplace_back(request_id, std::move(query));
  }
  bool CanSubmit() const override { return pending.size() < kMaxPending; }

  static constexpr size_t kMaxPending = 8;
  std::deque<std::pair<uint64_t, std::string>> pending;
};

TlsServerOptions FuzzOptions() {
  TlsServerOptions options;
  options.protocol = ServerProtocol::kDoh;
  options.limits.max_queries_per_connection = RecordingSink::kMaxPending;
  options.doh.max_header_bytes = 1024;
  return options;
}

// Answers what the session submitted; false when the session closed.
bool AnswerPending(SessionProtocol& session, RecordingSink& sink) {
  while (!sink.pending.empty()) {
    auto [request_id, query] = std::move(sink.pending.front());
    sink.pending.pop_front();
    std::string response = request_id % 3 == 0 ? std::string() : std::move(query);
    if (!session.OnResponse(request_id, std::move(response))) return false;
  }
  return true;
}

void Run(const uint8_t* data, size_t size) {
  const bool http2 = (data[0] & 1) != 0;
  const size_t chunk = (data[0] >> 1) + 1u;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  TlsServerState state(FuzzOptions(), nullptr);
  RecordingSink sink;
  std::unique_ptr<SessionProtocol> session;
  if (http2) {
    session = std::make_unique<Http2Session>(state, sink, "fuzz");
  } else {
    session = std::make_unique<Http1Session>(state, sink, "fuzz");
  }
  std::string output;
  while (!input.empty() && !session->Finished()) {
    const std::string_view piece = input.substr(0, chunk);
    input.remove_prefix(piece.size());
    if (!session->OnReceive(piece)) break;
    if (!AnswerPending(*session, sink)) break;
    session->TakeOutput(output);
    output.clear();
  }
  session->TakeOutput(output);
}

}  // namespace
}  // namespace ztgate::resolver::transport

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  if (size == 0) return 0;
  ztgate::resolver::transport::Run(data, size);
  return 0;
}
