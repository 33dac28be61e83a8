// The freshness lifetime of a response message, read straight from the
// wire without building a Message: what DoH puts in Cache-Control (RFC 8484
// section 5.1) for every answer it releases.
#ifndef ZTGATE_RESOLVER_DNS_MESSAGE_TTL_H_
#define ZTGATE_RESOLVER_DNS_MESSAGE_TTL_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace ztgate::resolver::dns {

// Returns the smallest TTL of the answer and authority sections. An SOA
// record in the authority section also counts with its MINIMUM field, which
// bounds how long a negative answer may be cached (RFC 2308 section 5).
// Returns nullopt when the message is malformed or the two sections are
// empty (for example REFUSED, SERVFAIL and NODATA without SOA).
std::optional<uint32_t> MinimumTtl(std::string_view wire);

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_MESSAGE_TTL_H_
