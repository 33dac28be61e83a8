// Responses the server builds itself, and the edits it makes to a query
// before forwarding it upstream.
//
// Every builder starts from the parsed client query: it copies the ID, the
// opcode, RD and CD and the question (letter case as sent), and sets QR and
// RA. When the query had EDNS, the response carries an OPT record with the
// same DO bit, and the Extended DNS Error the builder names (RFC 8914).
// Without EDNS in the query there is no OPT record (RFC 6891 section 7), so
// no EDE either.
#ifndef ZTGATE_RESOLVER_DNS_RESPONSE_H_
#define ZTGATE_RESOLVER_DNS_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "resolver/dns/message.h"

namespace ztgate::resolver::dns {

// UDP payload size ztgate advertises in its OPT records: 1232 octets, the
// value DNS Flag Day 2020 chose to avoid IP fragmentation.
inline constexpr uint16_t kAdvertisedPayloadSize = 1232;

// TTL of the RFC 8482 HINFO answer to ANY. RFC 8482 section 4.2 leaves the
// value to the responder; one hour keeps clients from repeating the query.
inline constexpr uint32_t kAnyAnswerTtl = 3600;

// A response with `rcode` and no records, the base of the builders below.
Message ResponseTo(const Message& query, uint16_t rcode);

// A denied name: `rcode` is REFUSED or NXDOMAIN (configurable), with EDE 15
// (Blocked).
Message BlockedResponse(const Message& query, uint16_t rcode);
// A client that no policy group admits: REFUSED with EDE 18 (Prohibited).
Message ProhibitedResponse(const Message& query);
// Upstream failure: SERVFAIL with `ede_code`, 22 (No Reachable Authority)
// when every upstream timed out or 23 (Network Error) when connections
// failed.
Message UpstreamFailureResponse(const Message& query, uint16_t ede_code);
// QTYPE ANY: RFC 8482 section 4.2, one HINFO record with CPU "RFC8482" and
// an empty OS.
Message AnyMinimalResponse(const Message& query);
// AXFR and IXFR: REFUSED with EDE 21 (Not Supported). REFUSED, not NOTIMP,
// because the opcode is implemented and the refusal is a policy: a
// protective resolver transfers no zones (RFC 5936 section 4.2 lets a
// server refuse a transfer).
Message ZoneTransferResponse(const Message& query);
// The response for an ExtractQuery error: FORMERR, NOTIMP or BADVERS
// (query.h lists which status code means which).
Message QueryErrorResponse(const Message& query, const absl::Status& error);
// FORMERR for bytes that did not parse: the ID and, when present, the
// opcode and RD bit are copied; no question. Returns nothing for fewer than
// 2 octets, where not even an ID can be echoed: drop and count such input.
std::optional<std::string> FormErrResponse(std::string_view wire);

// Removes the EDNS Client Subnet option so that the client's address never
// leaves through the upstream query. Returns true when one was removed.
bool StripClientSubnet(Message& query);

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_RESPONSE_H_
