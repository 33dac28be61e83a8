// EDNS(0) options the server reads or writes: Client Subnet (RFC 7871),
// Extended DNS Errors (RFC 8914) and padding (RFC 7830).
#ifndef ZTGATE_RESOLVER_DNS_EDNS_H_
#define ZTGATE_RESOLVER_DNS_EDNS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/ip_address.h"
#include "resolver/dns/message.h"

namespace ztgate::resolver::dns {

// An EDNS Client Subnet option (RFC 7871 section 6).
struct ClientSubnet {
  uint16_t family = 0;  // 1: IPv4, 2: IPv6.
  uint8_t source_prefix_length = 0;
  uint8_t scope_prefix_length = 0;
  IpAddress address;  // Bits past the source prefix are zero.
};

// Parses ECS option data. RFC 7871 section 6: the address has exactly
// ceil(source / 8) octets and no bits set past the source prefix; an unknown
// family or a prefix longer than the family is an error.
absl::StatusOr<ClientSubnet> ParseClientSubnet(std::string_view data);

// Returns the first option with `code`, or nullptr.
const EdnsOption* FindOption(const Edns& edns, uint16_t code);

// Removes every option with `code`; returns how many were removed.
int RemoveOptions(Edns& edns, uint16_t code);

// An Extended DNS Error option: INFO-CODE and optional UTF-8 EXTRA-TEXT.
EdnsOption ExtendedError(uint16_t info_code, std::string_view extra_text = {});

struct ExtendedErrorInfo {
  uint16_t info_code = 0;
  std::string extra_text;
};
// Returns the first Extended DNS Error of `message`, if any.
std::optional<ExtendedErrorInfo> FindExtendedError(const Message& message);

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_EDNS_H_
