// SVCB and HTTPS RDATA (RFC 9460 section 2.2): SvcPriority, TargetName and
// SvcParams. The gateway reads the ipv4hint and ipv6hint parameters, because
// a client may connect to those addresses without another query, and can
// strip them from an answer. Other parameters are kept as raw values.
#ifndef ZTGATE_RESOLVER_DNS_SVCB_H_
#define ZTGATE_RESOLVER_DNS_SVCB_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ip_address.h"
#include "resolver/dns/name.h"

namespace ztgate::resolver::dns {

struct SvcParam {
  uint16_t key = 0;
  std::string value;
};

struct SvcbRdata {
  uint16_t priority = 0;  // 0: AliasMode.
  Name target;
  std::vector<SvcParam> params;  // In strictly increasing key order.
};

// Parses uncompressed SVCB or HTTPS RDATA. Keys out of order or repeated, a
// value running past the end, and hint values whose length is not a
// positive multiple of 4 (ipv4hint) or 16 (ipv6hint) are errors
// (RFC 9460 sections 2.2 and 7.3).
absl::StatusOr<SvcbRdata> ParseSvcb(std::string_view rdata);
std::string EncodeSvcb(const SvcbRdata& svcb);

// Returns the addresses of the ipv4hint and ipv6hint parameters.
std::vector<IpAddress> AddressHints(const SvcbRdata& svcb);

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_SVCB_H_
