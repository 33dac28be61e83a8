// Address text conversion, the one place that calls the operating system's
// socket headers, so that the rest of common/, resolver/ and controlplane/
// stays portable between Linux and Windows.
#ifndef ZTGATE_COMMON_PLATFORM_INET_H_
#define ZTGATE_COMMON_PLATFORM_INET_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace ztgate {

// Parse dotted-quad IPv4 or RFC 4291 IPv6 text into network-order bytes
// (4 or 16 bytes at `out`); return false on invalid text.
bool ParseInet4(std::string_view text, uint8_t* out);
bool ParseInet6(std::string_view text, uint8_t* out);

// Format network-order bytes as text; IPv6 uses the RFC 5952 form.
std::string FormatInet4(const uint8_t* bytes);
std::string FormatInet6(const uint8_t* bytes);

}  // namespace ztgate

#endif  // ZTGATE_COMMON_PLATFORM_INET_H_
