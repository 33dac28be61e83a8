// What the server needs from a parsed client query, checked once: the
// question, the DO bit, padding, and the EDNS Client Subnet option.
#ifndef ZTGATE_RESOLVER_DNS_QUERY_H_
#define ZTGATE_RESOLVER_DNS_QUERY_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "resolver/dns/edns.h"
#include "resolver/dns/message.h"
#include "resolver/dns/name.h"

namespace ztgate::resolver::dns {

struct QueryInfo {
  uint16_t id = 0;
  Name qname;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool recursion_desired = false;
  bool has_edns = false;
  bool dnssec_ok = false;
  // The query carried a padding option, so the response is padded too
  // (RFC 7830 section 4).
  bool padded = false;
  std::optional<ClientSubnet> client_subnet;
};

// Checks that `query` is a standard query the server answers and extracts
// its fields. The status code says which response to send:
//   INVALID_ARGUMENT    FORMERR: QR set, not exactly one question, records in
//                       the answer or authority section, a malformed ECS
//                       option, or a meta type (OPT) as QTYPE.
//   UNIMPLEMENTED       NOTIMP: an opcode other than QUERY.
//   FAILED_PRECONDITION BADVERS: an EDNS version other than 0 (RFC 6891
//                       section 6.1.3).
// ErrorResponse (response.h) builds the matching answer.
absl::StatusOr<QueryInfo> ExtractQuery(const Message& query);

// Queries the server answers itself, without policy or upstream.
enum class LocalQuery {
  kNone,
  kAny,           // QTYPE ANY: RFC 8482 minimal answer.
  kZoneTransfer,  // AXFR or IXFR: refused.
};
LocalQuery ClassifyLocalQuery(const QueryInfo& info);

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_QUERY_H_
