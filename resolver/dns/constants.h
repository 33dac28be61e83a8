// Numeric values of the DNS wire format that the codec and the server use:
// record types and classes (RFC 1035, RFC 3596, RFC 6672, RFC 9460), response
// codes, EDNS(0) option codes (RFC 6891, RFC 7830, RFC 7871, RFC 8914) and
// the Extended DNS Error codes ztgate sends.
#ifndef ZTGATE_RESOLVER_DNS_CONSTANTS_H_
#define ZTGATE_RESOLVER_DNS_CONSTANTS_H_

#include <cstddef>
#include <cstdint>

namespace ztgate::resolver::dns {

namespace type {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kNs = 2;
inline constexpr uint16_t kMd = 3;
inline constexpr uint16_t kMf = 4;
inline constexpr uint16_t kCname = 5;
inline constexpr uint16_t kSoa = 6;
inline constexpr uint16_t kMb = 7;
inline constexpr uint16_t kMg = 8;
inline constexpr uint16_t kMr = 9;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kHinfo = 13;
inline constexpr uint16_t kMinfo = 14;
inline constexpr uint16_t kMx = 15;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kSrv = 33;
inline constexpr uint16_t kDname = 39;
inline constexpr uint16_t kOpt = 41;
inline constexpr uint16_t kSvcb = 64;
inline constexpr uint16_t kHttps = 65;
inline constexpr uint16_t kIxfr = 251;
inline constexpr uint16_t kAxfr = 252;
inline constexpr uint16_t kAny = 255;
}  // namespace type

namespace dns_class {
inline constexpr uint16_t kIn = 1;
inline constexpr uint16_t kAny = 255;
}  // namespace dns_class

// Response codes. Values above 15 need the OPT record's extended bits.
namespace rcode {
inline constexpr uint16_t kNoError = 0;
inline constexpr uint16_t kFormErr = 1;
inline constexpr uint16_t kServFail = 2;
inline constexpr uint16_t kNxDomain = 3;
inline constexpr uint16_t kNotImp = 4;
inline constexpr uint16_t kRefused = 5;
inline constexpr uint16_t kBadVers = 16;
}  // namespace rcode

inline constexpr uint8_t kOpcodeQuery = 0;

namespace edns_option {
inline constexpr uint16_t kClientSubnet = 8;   // RFC 7871
inline constexpr uint16_t kPadding = 12;       // RFC 7830
inline constexpr uint16_t kExtendedError = 15; // RFC 8914
}  // namespace edns_option

// Extended DNS Error info-codes (RFC 8914 section 4).
namespace ede {
inline constexpr uint16_t kBlocked = 15;
inline constexpr uint16_t kProhibited = 18;
inline constexpr uint16_t kNotSupported = 21;
inline constexpr uint16_t kNoReachableAuthority = 22;
inline constexpr uint16_t kNetworkError = 23;
}  // namespace ede

// SvcParamKeys (RFC 9460 section 14.3.2).
namespace svc_param {
inline constexpr uint16_t kMandatory = 0;
inline constexpr uint16_t kAlpn = 1;
inline constexpr uint16_t kNoDefaultAlpn = 2;
inline constexpr uint16_t kPort = 3;
inline constexpr uint16_t kIpv4Hint = 4;
inline constexpr uint16_t kEch = 5;
inline constexpr uint16_t kIpv6Hint = 6;
}  // namespace svc_param

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxMessageSize = 65535;
inline constexpr size_t kMaxLabelSize = 63;
// Includes the length octets and the root label (RFC 1035 section 3.1).
inline constexpr size_t kMaxNameSize = 255;

// RFC 8467 section 4.1: a server pads responses to a multiple of 468 octets,
// and a client pads queries to a multiple of 128.
inline constexpr size_t kResponsePaddingBlock = 468;
inline constexpr size_t kQueryPaddingBlock = 128;

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_CONSTANTS_H_
