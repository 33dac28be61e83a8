// ztgate's DNS message codec: the message as a value, and its wire form.
//
// How the DoT server uses the resolver library per query, one call a step:
//
//   1. Parse:    ParseMessage(wire), then ExtractQuery(query) (query.h). A
//                parse error gets FormErrResponse(wire), an ExtractQuery
//                error QueryErrorResponse(query, status) (response.h).
//                ClassifyLocalQuery: ANY gets AnyMinimalResponse, AXFR and
//                IXFR get ZoneTransferResponse.
//   2. Policy:   PolicyHolder::Load(), Policy::SelectGroup(client address,
//                mTLS identities), Policy::DecideName(group, info.qname)
//                (resolver/policy/policy.h). decision.blocks(): kDeny gets
//                BlockedResponse(query, REFUSED or NXDOMAIN per
//                Policy::denied_rcode()), kProhibited gets
//                ProhibitedResponse(query).
//   3. Cache:    DnsCache::Lookup(MakeCacheKey(info.qname, info.qtype,
//                info.qclass, info.dnssec_ok)) returns the answer with
//                decremented TTLs (resolver/cache/dns_cache.h); parse it.
//   4. Upstream: on a miss, StripClientSubnet(query), SetMessageId or
//                Message::id for the upstream ID, EncodeMessage with
//                {.padding_block = kQueryPaddingBlock}; the transport sends
//                it. Failure gets UpstreamFailureResponse(query, 22 or 23).
//                DnsCache::Insert(key, answer) stores the answer.
//   5. Collect:  WalkAnswer(answer, info.qname) (answer.h) returns the
//                CNAME/DNAME chain and every A, AAAA and SVCB/HTTPS hint
//                address with its TTL. Policy::DecideChain(group,
//                chain.names) applies the CNAME rule, on hits and misses.
//   6. Cap TTLs: CapTtls(answer, installed lifetime) before release.
//   7. Encode:   answer.id = client's ID, EncodeMessage(answer,
//                {.padding_block = kResponsePaddingBlock}) when
//                info.padded (RFC 7830 section 4: pad only padded queries).
//
// Contract of this file. ParseMessage reads untrusted bytes and never reads
// outside them: every length and count is checked against what is left,
// compression pointers must point strictly before every position the name has
// visited (so loops and forward pointers fail), and every failure is an
// INVALID_ARGUMENT status that the server turns into FORMERR.
//
// RDATA. Names inside the RDATA of the types RFC 3597 section 4 lists as
// compressible (NS, MD, MF, CNAME, SOA, MB, MG, MR, PTR, MINFO, MX), and of
// DNAME, SRV, SVCB and HTTPS, are decompressed when parsed, so
// ResourceRecord::rdata never holds a compression pointer. EncodeMessage
// compresses owner and question names only and writes RDATA as stored. RFC
// 3597 forbids compression in the RDATA of any other type, so their RDATA
// passes through as raw bytes, untouched.
//
// Costs: one allocation per name and per RDATA. bench/resolver measures
// parsing in ns per message (docs/BENCHMARKS.md, "Resolver").
#ifndef ZTGATE_RESOLVER_DNS_MESSAGE_H_
#define ZTGATE_RESOLVER_DNS_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "resolver/dns/constants.h"
#include "resolver/dns/name.h"

namespace ztgate::resolver::dns {

struct Question {
  Name name;
  uint16_t type = 0;
  uint16_t dns_class = dns_class::kIn;
};

struct ResourceRecord {
  Name name;
  uint16_t type = 0;
  uint16_t dns_class = dns_class::kIn;
  uint32_t ttl = 0;
  // Uncompressed RDATA (see the file comment).
  std::string rdata;
};

struct EdnsOption {
  uint16_t code = 0;
  std::string data;
};

// The OPT pseudo-record (RFC 6891 section 6.1).
struct Edns {
  uint16_t udp_payload_size = 1232;
  uint8_t version = 0;
  bool dnssec_ok = false;
  // The OPT TTL's flag bits other than DO, kept as received.
  uint16_t other_flags = 0;
  std::vector<EdnsOption> options;
};

// Header flag bits in the second 16-bit word (RFC 1035 section 4.1.1,
// RFC 4035 section 3.2 for AD and CD).
namespace flag {
inline constexpr uint16_t kQr = 0x8000;
inline constexpr uint16_t kAa = 0x0400;
inline constexpr uint16_t kTc = 0x0200;
inline constexpr uint16_t kRd = 0x0100;
inline constexpr uint16_t kRa = 0x0080;
inline constexpr uint16_t kAd = 0x0020;
inline constexpr uint16_t kCd = 0x0010;
}  // namespace flag

struct Message {
  uint16_t id = 0;
  // QR, opcode, AA, TC, RD, RA, Z, AD, CD; the low 4 bits (rcode) are kept in
  // `rcode` instead.
  uint16_t flags = 0;
  // The full 12-bit response code: the header's 4 bits and, with EDNS, the
  // OPT record's 8 extended bits.
  uint16_t rcode = rcode::kNoError;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authorities;
  // Additional records without the OPT record, which is in `edns`.
  std::vector<ResourceRecord> additionals;
  std::optional<Edns> edns;

  uint8_t opcode() const { return (flags >> 11) & 0xf; }
  bool has_flag(uint16_t bit) const { return (flags & bit) != 0; }
  void set_flag(uint16_t bit, bool on) { flags = on ? (flags | bit) : (flags & ~bit); }
};

// Parses a whole message. Trailing bytes after the last record, a second OPT
// record or an OPT outside the additional section are errors.
absl::StatusOr<Message> ParseMessage(std::string_view wire);

struct EncodeOptions {
  // With EDNS, adds a padding option (RFC 7830) so that the message length is
  // a multiple of this many octets; 0 leaves the padding options as they are.
  // Any earlier padding option is replaced.
  size_t padding_block = 0;
  // When set, receives the offset of every TTL field written (OPT excluded),
  // so that a cache can rewrite TTLs in the wire form.
  std::vector<size_t>* ttl_offsets = nullptr;
};

// Encodes `message`, compressing question and owner names. Fails when the
// message would exceed 65535 octets or a response code needs EDNS that the
// message does not carry.
absl::StatusOr<std::string> EncodeMessage(const Message& message,
                                          const EncodeOptions& options = {});

// Rewrites the ID of an encoded message in place; `wire` has at least 2
// octets.
void SetMessageId(std::string& wire, uint16_t id);

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_MESSAGE_H_
