// libFuzzer target for the DNS codec. Every input goes through the parser;
// what parses is encoded again and must parse back to the same encoding,
// and the server's helpers (query extraction, response builders, answer
// walk, TTL cap, hint removal, padding) run on it. A failed check traps so
// that libFuzzer records the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "resolver/dns/answer.h"
#include "resolver/dns/constants.h"
#include "resolver/dns/message.h"
#include "resolver/dns/query.h"
#include "resolver/dns/response.h"

namespace ztgate::resolver::dns {
namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void ExerciseQuery(const Message& message) {
  absl::StatusOr<QueryInfo> info = ExtractQuery(message);
  if (!info.ok()) {
    Check(EncodeMessage(QueryErrorResponse(message, info.status())).ok());
    return;
  }
  for (const Message& response :
       {BlockedResponse(message, rcode::kNxDomain), ProhibitedResponse(message),
        UpstreamFailureResponse(message, ede::kNetworkError), AnyMinimalResponse(message),
        ZoneTransferResponse(message)}) {
    absl::StatusOr<std::string> wire =
        EncodeMessage(response, {.padding_block = kResponsePaddingBlock});
    Check(wire.ok());
    Check(ParseMessage(*wire).ok());
  }
  Message upstream = message;
  StripClientSubnet(upstream);
  (void)EncodeMessage(upstream, {.padding_block = kQueryPaddingBlock});
}

void ExerciseAnswer(Message message) {
  if (message.questions.empty()) return;
  const AnswerChain chain = WalkAnswer(message, message.questions.front().name);
  Check(!chain.names.empty());
  CapTtls(message, 60);
  RemoveUnjudgedAddresses(message, chain);
  // What stays carries only the chain's addresses.
  Check(WalkAnswer(message, message.questions.front().name).addresses.size() ==
        chain.addresses.size());
  StripAddressHints(message);
  (void)EncodeMessage(message);
}

}  // namespace
}  // namespace ztgate::resolver::dns

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ztgate::resolver::dns;
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Message> message = ParseMessage(wire);
  if (!message.ok()) {
    (void)FormErrResponse(wire);
    return 0;
  }
  // RDATA names are decompressed, so a message near 65535 octets may grow
  // past the limit; encoding may then fail, but must not succeed wrongly.
  absl::StatusOr<std::string> encoded = EncodeMessage(*message);
  if (encoded.ok()) {
    absl::StatusOr<Message> again = ParseMessage(*encoded);
    Check(again.ok());
    absl::StatusOr<std::string> encoded_again = EncodeMessage(*again);
    Check(encoded_again.ok() && *encoded_again == *encoded);
  }
  ExerciseQuery(*message);
  ExerciseAnswer(*message);
  return 0;
}
