// Sizes fixed by the DNS wire format, shared by the client-facing
// protocols.
#ifndef ZTGATE_RESOLVER_TRANSPORT_TRANSPORT_LIMITS_H_
#define ZTGATE_RESOLVER_TRANSPORT_TRANSPORT_LIMITS_H_

#include <cstddef>

namespace ztgate::resolver::transport {

// RFC 1035 section 4.1.1: the fixed header every DNS message starts with.
inline constexpr size_t kDnsHeaderBytes = 12;
// The largest message a 2-byte length (DoT) or DoH body may carry.
inline constexpr size_t kMaxDnsMessageBytes = 65535;

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_TRANSPORT_LIMITS_H_
