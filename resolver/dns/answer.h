// Reading an upstream answer the way the gateway needs it: the chain of
// names from the query name through CNAME and DNAME records, every address
// a client can learn from it (A, AAAA and SVCB/HTTPS ipv4hint and ipv6hint),
// and edits before release (TTL cap, hint removal).
#ifndef ZTGATE_RESOLVER_DNS_ANSWER_H_
#define ZTGATE_RESOLVER_DNS_ANSWER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ip_address.h"
#include "resolver/dns/message.h"
#include "resolver/dns/name.h"

namespace ztgate::resolver::dns {

// Longest CNAME/DNAME chain followed, in links. A chosen bound: real chains
// through CDNs have 2 to 4 links.
inline constexpr int kMaxChainLinks = 16;

struct LearnedAddress {
  IpAddress address;
  uint32_t ttl = 0;   // TTL of the record that carries the address.
  Name owner;         // Chain name that owns the record.
  uint16_t type = 0;  // A, AAAA, SVCB or HTTPS (a hint).
};

struct AnswerChain {
  // The query name first, then each CNAME or DNAME target in order.
  std::vector<Name> names;
  std::vector<LearnedAddress> addresses;
  // The chain looped or had more than kMaxChainLinks links; the walk
  // stopped there.
  bool broken = false;
};

// Walks the answer section from `qname`. Only class IN records count.
// Records owned by names outside the chain are ignored, so an upstream
// cannot make the gateway learn addresses for names the client never asked
// about. SVCB/HTTPS records that do not parse contribute no hints.
AnswerChain WalkAnswer(const Message& answer, const Name& qname);

// Removes every address that WalkAnswer did not collect, so that the
// released answer carries only addresses the policy judged and the gateway
// installs: A and AAAA records owned by names outside `chain` and all of
// them in the additional section (an SVCB TargetName's addresses, glue),
// and the address hints of SVCB/HTTPS records in those places. A client
// that needs such a name asks for it, and the policy judges that query.
// Returns the number of records removed or changed.
int RemoveUnjudgedAddresses(Message& message, const AnswerChain& chain);

// Lowers every TTL above `max_ttl` to `max_ttl`, in all sections (OPT
// excluded). The SOA minimum inside RDATA is not changed.
void CapTtls(Message& message, uint32_t max_ttl);

// Which address hints StripAddressHints removes.
enum class HintFamily { kBoth, kIpv4, kIpv6 };

// Removes the ipv4hint and/or ipv6hint parameters, as `family` selects,
// from every SVCB and HTTPS record. Returns the number of records changed.
int StripAddressHints(Message& message, HintFamily family = HintFamily::kBoth);

// Returns the target name of a CNAME or DNAME record, or the first name of
// other name-only RDATA (NS, PTR).
absl::StatusOr<Name> RdataName(const ResourceRecord& record);
// Returns the address of an A or AAAA record.
absl::StatusOr<IpAddress> RdataAddress(const ResourceRecord& record);

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_ANSWER_H_
