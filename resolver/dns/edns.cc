// EDNS(0) options; see edns.h.
#include "resolver/dns/edns.h"

#include <algorithm>
#include <array>

#include "common/str_cat.h"
#include "resolver/dns/constants.h"
#include "resolver/dns/wire_reader.h"

namespace ztgate::resolver::dns {
namespace {

constexpr uint16_t kFamilyIpv4 = 1;
constexpr uint16_t kFamilyIpv6 = 2;

}  // namespace

absl::StatusOr<ClientSubnet> ParseClientSubnet(std::string_view data) {
  WireReader reader(data);
  ClientSubnet subnet;
  if (absl::Status s = reader.ReadU16(subnet.family); !s.ok()) return s;
  if (absl::Status s = reader.ReadU8(subnet.source_prefix_length); !s.ok()) return s;
  if (absl::Status s = reader.ReadU8(subnet.scope_prefix_length); !s.ok()) return s;
  if (subnet.family != kFamilyIpv4 && subnet.family != kFamilyIpv6) {
    return absl::InvalidArgumentError(StrCat("ECS family ", subnet.family, " is unknown"));
  }
  const size_t width = subnet.family == kFamilyIpv4 ? 32 : 128;
  if (subnet.source_prefix_length > width || subnet.scope_prefix_length > width) {
    return absl::InvalidArgumentError("ECS prefix length is longer than the address family");
  }
  const size_t octets = (subnet.source_prefix_length + 7) / 8;
  if (reader.remaining() != octets) {
    return absl::InvalidArgumentError(StrCat("ECS address has ", reader.remaining(),
                                             " octets, expected ", octets));
  }
  std::array<uint8_t, 16> bytes{};
  for (size_t i = 0; i < octets; ++i) (void)reader.ReadU8(bytes[i]);
  const int spare_bits = static_cast<int>(octets * 8) - subnet.source_prefix_length;
  if (octets > 0 && (bytes[octets - 1] & ((1u << spare_bits) - 1)) != 0) {
    return absl::InvalidArgumentError("ECS address has bits set past the source prefix");
  }
  if (subnet.family == kFamilyIpv4) {
    subnet.address = IpAddress::FromV4({bytes[0], bytes[1], bytes[2], bytes[3]});
  } else {
    subnet.address = IpAddress::FromV6(bytes);
  }
  return subnet;
}

const EdnsOption* FindOption(const Edns& edns, uint16_t code) {
  for (const EdnsOption& option : edns.options) {
    if (option.code == code) return &option;
  }
  return nullptr;
}

int RemoveOptions(Edns& edns, uint16_t code) {
  return static_cast<int>(std::erase_if(
      edns.options, [code](const EdnsOption& option) { return option.code == code; }));
}

EdnsOption ExtendedError(uint16_t info_code, std::string_view extra_text) {
  EdnsOption option{edns_option::kExtendedError, ""};
  AppendU16(option.data, info_code);
  option.data += extra_text;
  return option;
}

std::optional<ExtendedErrorInfo> FindExtendedError(const Message& message) {
  if (!message.edns) return std::nullopt;
  const EdnsOption* option = FindOption(*message.edns, edns_option::kExtendedError);
  if (option == nullptr || option->data.size() < 2) return std::nullopt;
  return ExtendedErrorInfo{LoadU16(option->data, 0), option->data.substr(2)};
}

}  // namespace ztgate::resolver::dns
