// The packet parser; see packet_parser.h. Every read goes through a Span
// that carries the bytes left, so a bounds check sits next to each access.
#include "dataplane/packet_parser.h"

#include <algorithm>
#include <cstring>

namespace ztgate::dataplane {
namespace {

constexpr uint16_t kEthertypeIpv4 = 0x0800;
constexpr uint16_t kEthertypeArp = 0x0806;
constexpr uint16_t kEthertypeVlan = 0x8100;    // IEEE 802.1Q customer tag.
constexpr uint16_t kEthertypeQinQ = 0x88a8;    // IEEE 802.1ad service tag.
constexpr uint16_t kEthertypeIpv6 = 0x86dd;
constexpr size_t kEthernetHeaderSize = 14;
constexpr size_t kVlanTagSize = 4;
constexpr int kMaxVlanTags = 2;

constexpr size_t kIpv4MinHeaderSize = 20;
constexpr size_t kIpv6HeaderSize = 40;
constexpr size_t kUdpHeaderSize = 8;
constexpr size_t kTcpMinHeaderSize = 20;
constexpr size_t kIcmpHeaderSize = 8;  // Type, code, checksum and 4 bytes.

constexpr uint8_t kProtocolHopByHop = 0;
constexpr uint8_t kProtocolIcmp = 1;
constexpr uint8_t kProtocolTcp = 6;
constexpr uint8_t kProtocolUdp = 17;
constexpr uint8_t kProtocolRouting = 43;
constexpr uint8_t kProtocolFragment = 44;
constexpr uint8_t kProtocolAuthentication = 51;
constexpr uint8_t kProtocolIcmpv6 = 58;
constexpr uint8_t kProtocolDestinationOptions = 60;

// IPv4 options that name the route (RFC 791 section 3.1): loose and strict
// source and record route. The packet would reach hosts other than its
// destination address, so the pair check would not cover them.
constexpr uint8_t kIpv4OptionEnd = 0;
constexpr uint8_t kIpv4OptionNop = 1;
constexpr uint8_t kIpv4OptionLsrr = 0x83;
constexpr uint8_t kIpv4OptionSsrr = 0x89;

constexpr uint8_t kNdpHopLimit = 255;  // RFC 4861 section 6.1.1 and 7.1.1.

// A bounded view of the frame's bytes.
struct Span {
  const uint8_t* data;
  size_t size;

  bool Has(size_t n) const { return n <= size; }
  uint16_t Read16(size_t offset) const {
    return static_cast<uint16_t>((data[offset] << 8) | data[offset + 1]);
  }
  Span From(size_t offset) const { return {data + offset, size - offset}; }
};

void SetMapped(const uint8_t* ipv4, Address16& out) {
  std::memset(out.bytes, 0, 10);
  out.bytes[10] = 0xff;
  out.bytes[11] = 0xff;
  std::memcpy(out.bytes + 12, ipv4, 4);
}

// ::ffff:0:0/96, the IPv4-mapped prefix (RFC 4291 section 2.5.5.2).
bool IsMapped(const uint8_t* ipv6) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(ipv6, kPrefix, sizeof(kPrefix)) == 0;
}

void Fail(ParsedFrame& out, MalformedReason reason) {
  out.kind = FrameKind::kMalformed;
  out.malformed = reason;
}

bool IsIcmpv4Error(uint8_t type) {
  return type == 3 || type == 11 || type == 12;  // Unreachable, time exceeded, parameter problem.
}

bool IsIcmpv6Error(uint8_t type) {
  return type >= 1 && type <= 4;  // Unreachable, packet too big, time exceeded, parameter problem.
}

// Reads the addresses of the IP packet an ICMP error quotes. RFC 792 and
// RFC 4443 section 2.4 put the invoking packet right after the 8-byte ICMP
// header; only its addresses are needed.
bool ParseQuotedPacket(Span quoted, bool is_v4, ParsedFrame& out) {
  if (is_v4) {
    if (!quoted.Has(kIpv4MinHeaderSize) || (quoted.data[0] >> 4) != 4) return false;
    SetMapped(quoted.data + 12, out.inner_source);
    SetMapped(quoted.data + 16, out.inner_destination);
    return true;
  }
  if (!quoted.Has(kIpv6HeaderSize) || (quoted.data[0] >> 4) != 6) return false;
  if (IsMapped(quoted.data + 8) || IsMapped(quoted.data + 24)) return false;
  std::memcpy(out.inner_source.bytes, quoted.data + 8, 16);
  std::memcpy(out.inner_destination.bytes, quoted.data + 24, 16);
  return true;
}

// Reads the transport header of a packet that is not a later fragment.
// `unfragmented` is false for a first fragment; NDP and DHCP must not be
// fragmented (RFC 6980 for NDP), so only whole packets get those flags.
void ParseTransport(Span payload, bool is_v4, bool unfragmented, uint8_t hop_limit,
                    ParsedFrame& out) {
  switch (out.ip_protocol) {
    case kProtocolTcp:
    case kProtocolUdp: {
      const size_t minimum = out.ip_protocol == kProtocolTcp ? kTcpMinHeaderSize : kUdpHeaderSize;
      if (!payload.Has(minimum)) return Fail(out, MalformedReason::kTruncated);
      out.source_port = payload.Read16(0);
      out.destination_port = payload.Read16(2);
      if (out.ip_protocol == kProtocolUdp && unfragmented) {
        const uint16_t low = std::min(out.source_port, out.destination_port);
        const uint16_t high = std::max(out.source_port, out.destination_port);
        out.is_dhcp = is_v4 ? (low == 67 && high == 68) : (low == 546 && high == 547);
      }
      return;
    }
    case kProtocolIcmp:
    case kProtocolIcmpv6: {
      if ((out.ip_protocol == kProtocolIcmp) != is_v4) return;  // ICMP in the wrong family.
      if (!payload.Has(kIcmpHeaderSize)) return Fail(out, MalformedReason::kTruncated);
      const uint8_t type = payload.data[0];
      if (is_v4 ? IsIcmpv4Error(type) : IsIcmpv6Error(type)) {
        if (!ParseQuotedPacket(payload.From(kIcmpHeaderSize), is_v4, out)) {
          return Fail(out, MalformedReason::kTruncated);
        }
        out.is_icmp_error = true;
      } else if (!is_v4 && type >= 133 && type <= 137) {
        out.is_ndp = unfragmented && hop_limit == kNdpHopLimit;
      } else if (!is_v4 && (type == 130 || type == 131 || type == 132 || type == 143)) {
        // MLD queries, reports and done (RFC 2710, RFC 3810 section 5) are
        // link-scoped with hop limit 1; switches and routers need them to
        // keep delivering the solicited-node multicast that NDP relies on.
        out.is_ndp = unfragmented && hop_limit == 1;
      }
      return;
    }
    default:
      return;
  }
}

// Walks the IPv4 options for source routes and invalid lengths.
bool CheckIpv4Options(Span options, ParsedFrame& out) {
  size_t offset = 0;
  while (offset < options.size) {
    const uint8_t type = options.data[offset];
    if (type == kIpv4OptionEnd) return true;
    if (type == kIpv4OptionNop) {
      ++offset;
      continue;
    }
    if (offset + 1 >= options.size || options.data[offset + 1] < 2 ||
        offset + options.data[offset + 1] > options.size) {
      Fail(out, MalformedReason::kBadHeader);
      return false;
    }
    if (type == kIpv4OptionLsrr || type == kIpv4OptionSsrr) {
      Fail(out, MalformedReason::kSourceRoute);
      return false;
    }
    offset += options.data[offset + 1];
  }
  return true;
}

void ParseIpv4(Span packet, ParsedFrame& out) {
  if (!packet.Has(kIpv4MinHeaderSize)) return Fail(out, MalformedReason::kTruncated);
  const uint8_t* header = packet.data;
  const size_t header_size = (header[0] & 0x0f) * 4u;
  const size_t total_length = packet.Read16(2);
  if ((header[0] >> 4) != 4 || header_size < kIpv4MinHeaderSize || total_length < header_size) {
    return Fail(out, MalformedReason::kBadHeader);
  }
  // Bytes past total_length are Ethernet padding.
  if (!packet.Has(total_length)) return Fail(out, MalformedReason::kTruncated);
  if (!CheckIpv4Options({header + kIpv4MinHeaderSize, header_size - kIpv4MinHeaderSize}, out)) {
    return;
  }

  out.kind = FrameKind::kIp;
  out.is_v4 = true;
  out.ip_protocol = header[9];
  SetMapped(header + 12, out.source);
  SetMapped(header + 16, out.destination);
  const uint16_t fragment_field = packet.Read16(6);
  const bool more_fragments = (fragment_field & 0x2000) != 0;
  if ((fragment_field & 0x1fff) != 0) {
    out.later_fragment = true;
    return;
  }
  const Span payload{header + header_size, total_length - header_size};
  ParseTransport(payload, /*is_v4=*/true, /*unfragmented=*/!more_fragments, 0, out);
}

void ParseIpv6(Span packet, ParsedFrame& out) {
  if (!packet.Has(kIpv6HeaderSize)) return Fail(out, MalformedReason::kTruncated);
  const uint8_t* header = packet.data;
  const size_t payload_length = packet.Read16(4);
  // A payload length of 0 announces a jumbogram (RFC 2675), which Ethernet
  // cannot carry.
  if ((header[0] >> 4) != 6 || payload_length == 0) return Fail(out, MalformedReason::kBadHeader);
  if (!packet.Has(kIpv6HeaderSize + payload_length)) return Fail(out, MalformedReason::kTruncated);
  if (IsMapped(header + 8) || IsMapped(header + 24)) {
    return Fail(out, MalformedReason::kMappedAddress);
  }
  out.kind = FrameKind::kIp;
  std::memcpy(out.source.bytes, header + 8, 16);
  std::memcpy(out.destination.bytes, header + 24, 16);

  Span rest{header + kIpv6HeaderSize, payload_length};
  uint8_t next = header[6];
  bool fragmented = false;
  for (int count = 0;; ++count) {
    if (next != kProtocolHopByHop && next != kProtocolRouting && next != kProtocolFragment &&
        next != kProtocolDestinationOptions && next != kProtocolAuthentication) {
      break;
    }
    if (count == kMaxIpv6ExtensionHeaders) return Fail(out, MalformedReason::kTooManyHeaders);
    if (!rest.Has(8)) return Fail(out, MalformedReason::kTruncated);
    size_t size = 0;
    if (next == kProtocolFragment) {
      size = 8;
      fragmented = true;
      if ((rest.Read16(2) >> 3) != 0) {
        out.ip_protocol = rest.data[0];
        out.later_fragment = true;
        return;
      }
    } else if (next == kProtocolAuthentication) {
      size = (rest.data[1] + 2u) * 4u;  // RFC 4302 section 2.2: in 4-byte units, minus 2.
    } else {
      size = (rest.data[1] + 1u) * 8u;  // RFC 8200 section 4.3: in 8-byte units, minus 1.
      if (next == kProtocolRouting && rest.data[3] != 0) {
        return Fail(out, MalformedReason::kSourceRoute);
      }
    }
    if (!rest.Has(size)) return Fail(out, MalformedReason::kTruncated);
    next = rest.data[0];
    rest = rest.From(size);
  }
  out.ip_protocol = next;
  ParseTransport(rest, /*is_v4=*/false, /*unfragmented=*/!fragmented, header[7], out);
}

}  // namespace

void ParseFrame(const uint8_t* data, size_t length, ParsedFrame& out) {
  out.kind = FrameKind::kMalformed;
  out.malformed = MalformedReason::kNone;
  out.is_v4 = false;
  out.later_fragment = false;
  out.is_ndp = false;
  out.is_dhcp = false;
  out.is_icmp_error = false;
  out.ip_protocol = 0;
  out.source_port = 0;
  out.destination_port = 0;

  Span frame{data, length};
  if (!frame.Has(kEthernetHeaderSize)) return Fail(out, MalformedReason::kTruncated);
  size_t offset = kEthernetHeaderSize - 2;
  uint16_t ethertype = frame.Read16(offset);
  for (int tags = 0; ethertype == kEthertypeVlan || ethertype == kEthertypeQinQ; ++tags) {
    if (tags == kMaxVlanTags) return Fail(out, MalformedReason::kTooManyHeaders);
    offset += kVlanTagSize;
    if (!frame.Has(offset + 2)) return Fail(out, MalformedReason::kTruncated);
    ethertype = frame.Read16(offset);
  }
  out.ethertype = ethertype;
  const Span packet = frame.From(offset + 2);
  switch (ethertype) {
    case kEthertypeIpv4:
      return ParseIpv4(packet, out);
    case kEthertypeIpv6:
      return ParseIpv6(packet, out);
    case kEthertypeArp:
      out.kind = FrameKind::kArp;
      return;
    default:
      out.kind = FrameKind::kOtherEthertype;
      return;
  }
}

}  // namespace ztgate::dataplane
