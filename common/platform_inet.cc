// Address text conversion over inet_pton and inet_ntop, which both POSIX
// and Winsock (ws2tcpip.h) provide.
#include "common/platform_inet.h"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif

namespace ztgate {
namespace {

bool Parse(int family, std::string_view text, uint8_t* out) {
  // Longest valid IPv6 text, with an embedded IPv4 part, is 45 characters.
  if (text.size() > 64) return false;
  const std::string terminated(text);
  return inet_pton(family, terminated.c_str(), out) == 1;
}

std::string Format(int family, const uint8_t* bytes) {
  char buffer[64];
  if (inet_ntop(family, bytes, buffer, sizeof(buffer)) == nullptr) return "?";
  return buffer;
}

}  // namespace

bool ParseInet4(std::string_view text, uint8_t* out) { return Parse(AF_INET, text, out); }
bool ParseInet6(std::string_view text, uint8_t* out) { return Parse(AF_INET6, text, out); }
std::string FormatInet4(const uint8_t* bytes) { return Format(AF_INET, bytes); }
std::string FormatInet6(const uint8_t* bytes) { return Format(AF_INET6, bytes); }

}  // namespace ztgate
