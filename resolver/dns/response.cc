// Responses built by the server; see response.h.
#include "resolver/dns/response.h"

#include "resolver/dns/constants.h"
#include "resolver/dns/edns.h"
#include "resolver/dns/wire_reader.h"

namespace ztgate::resolver::dns {
namespace {

constexpr uint16_t kOpcodeMask = 0x7800;

Message WithExtendedError(Message response, uint16_t ede_code) {
  if (response.edns) response.edns->options.push_back(ExtendedError(ede_code));
  return response;
}

}  // namespace

Message ResponseTo(const Message& query, uint16_t rcode) {
  Message response;
  response.id = query.id;
  response.flags = static_cast<uint16_t>((query.flags & (kOpcodeMask | flag::kRd | flag::kCd)) |
                                         flag::kQr | flag::kRa);
  response.rcode = rcode;
  response.questions = query.questions;
  if (query.edns) {
    Edns edns;
    edns.udp_payload_size = kAdvertisedPayloadSize;
    edns.dnssec_ok = query.edns->dnssec_ok;
    response.edns = std::move(edns);
  }
  return response;
}

Message BlockedResponse(const Message& query, uint16_t rcode) {
  return WithExtendedError(ResponseTo(query, rcode), ede::kBlocked);
}

Message ProhibitedResponse(const Message& query) {
  return WithExtendedError(ResponseTo(query, rcode::kRefused), ede::kProhibited);
}

Message UpstreamFailureResponse(const Message& query, uint16_t ede_code) {
  return WithExtendedError(ResponseTo(query, rcode::kServFail), ede_code);
}

Message AnyMinimalResponse(const Message& query) {
  Message response = ResponseTo(query, rcode::kNoError);
  if (query.questions.empty()) return response;
  const Question& question = query.questions.front();
  ResourceRecord hinfo;
  hinfo.name = question.name;
  hinfo.type = type::kHinfo;
  hinfo.dns_class = question.dns_class == dns_class::kAny ? dns_class::kIn : question.dns_class;
  hinfo.ttl = kAnyAnswerTtl;
  // Two character-strings (RFC 1035 section 3.3.2): CPU "RFC8482", OS "".
  constexpr std::string_view kCpu = "RFC8482";
  hinfo.rdata.push_back(static_cast<char>(kCpu.size()));
  hinfo.rdata += kCpu;
  hinfo.rdata.push_back('\0');
  response.answers.push_back(std::move(hinfo));
  return response;
}

Message ZoneTransferResponse(const Message& query) {
  return WithExtendedError(ResponseTo(query, rcode::kRefused), ede::kNotSupported);
}

Message QueryErrorResponse(const Message& query, const absl::Status& error) {
  Message source = query;
  if (source.questions.size() != 1) source.questions.clear();
  switch (error.code()) {
    case absl::StatusCode::kUnimplemented:
      return ResponseTo(source, rcode::kNotImp);
    case absl::StatusCode::kFailedPrecondition: {
      // RFC 6891 section 6.1.3: BADVERS needs an OPT record of version 0.
      Message response = ResponseTo(source, rcode::kBadVers);
      if (!response.edns) response.edns.emplace();
      response.edns->udp_payload_size = kAdvertisedPayloadSize;
      return response;
    }
    default:
      source.edns.reset();  // The OPT record may be what is malformed.
      return ResponseTo(source, rcode::kFormErr);
  }
}

std::optional<std::string> FormErrResponse(std::string_view wire) {
  if (wire.size() < 2) return std::nullopt;
  std::string out(kHeaderSize, '\0');
  out[0] = wire[0];
  out[1] = wire[1];
  uint16_t flags = flag::kQr | rcode::kFormErr;
  if (wire.size() >= 4) flags |= LoadU16(wire, 2) & (kOpcodeMask | flag::kRd);
  out[2] = static_cast<char>(flags >> 8);
  out[3] = static_cast<char>(flags & 0xff);
  return out;
}

bool StripClientSubnet(Message& query) {
  if (!query.edns) return false;
  return RemoveOptions(*query.edns, edns_option::kClientSubnet) > 0;
}

}  // namespace ztgate::resolver::dns
