// The packet parser: a pure function from a frame's bytes to the fields the
// verdict needs. It reads the Ethernet header, up to two VLAN tags (802.1Q
// and 802.1ad), the IPv4 header with options or the IPv6 header with its
// extension header chain, and the first bytes of the transport header. It
// never reads past `length`, never allocates, and reports every frame it
// cannot vouch for as malformed with a reason, so the caller drops it.
//
// Addresses come out in the allow table's 16-byte form (IPv4-mapped for
// IPv4, as common/ip_address.h). An IPv6 packet that carries an IPv4-mapped
// address is malformed, because it would alias an IPv4 key.
//
// The flags of the protocols that pass without a flow (NDP, DHCP, ICMP
// errors) are set only when the transport header is whole and the packet is
// not a non-first fragment. A fragment without its transport header must
// match a flow like any other packet.
#ifndef ZTGATE_DATAPLANE_PACKET_PARSER_H_
#define ZTGATE_DATAPLANE_PACKET_PARSER_H_

#include <cstddef>
#include <cstdint>

namespace ztgate::dataplane {

// 16-byte addresses as the allow table stores them.
struct Address16 {
  alignas(8) uint8_t bytes[16];
};

enum class FrameKind : uint8_t {
  kMalformed,  // See ParsedFrame::malformed.
  kIp,         // IPv4 or IPv6; the address fields are set.
  kArp,
  kOtherEthertype,  // See ParsedFrame::ethertype.
};

enum class MalformedReason : uint8_t {
  kNone,
  kTruncated,       // A header ends past the frame.
  kBadHeader,       // A version, length or checksum-independent field is invalid.
  kMappedAddress,   // An IPv6 packet with an IPv4-mapped address.
  kSourceRoute,     // IPv4 LSRR/SSRR option or IPv6 routing header with segments left.
  kTooManyHeaders,  // More VLAN tags or IPv6 extension headers than the parser follows.
};

struct ParsedFrame {
  FrameKind kind = FrameKind::kMalformed;
  MalformedReason malformed = MalformedReason::kNone;
  bool is_v4 = false;
  // A fragment other than the first: no transport header follows.
  bool later_fragment = false;
  // ICMPv6 133-137 with hop limit 255, or MLD (130-132, 143) with hop
  // limit 1.
  bool is_ndp = false;
  bool is_dhcp = false;        // UDP 67/68 (IPv4) or 546/547 (IPv6).
  bool is_icmp_error = false;  // The inner_* fields are set.
  uint8_t ip_protocol = 0;     // Transport protocol after extension headers.
  uint16_t ethertype = 0;      // After VLAN tags, host order.
  uint16_t source_port = 0;    // Host order; 0 when the protocol has no ports.
  uint16_t destination_port = 0;
  Address16 source;
  Address16 destination;
  // Addresses of the packet an ICMP error quotes.
  Address16 inner_source;
  Address16 inner_destination;
};

// Parses one frame of `length` bytes at `data`.
void ParseFrame(const uint8_t* data, size_t length, ParsedFrame& out);

// Maximum number of IPv6 extension headers the parser follows; a longer
// chain is malformed (kTooManyHeaders). RFC 8200 section 4.1 allows each
// header once and destination options twice, so a valid chain of the kinds
// the parser walks has at most six.
inline constexpr int kMaxIpv6ExtensionHeaders = 8;

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_PACKET_PARSER_H_
