// Builds Ethernet frames for dataplane tests: IPv4 and IPv6 packets with
// optional VLAN tags, IPv4 options, fragments, IPv6 extension headers, and
// TCP, UDP and ICMP payloads. Checksums are left zero: the dataplane does not
// verify them.
#ifndef ZTGATE_TESTS_DATAPLANE_FRAME_BUILDER_H_
#define ZTGATE_TESTS_DATAPLANE_FRAME_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ztgate::testing {

using Bytes = std::vector<uint8_t>;

struct L4 {
  uint8_t protocol = 17;
  Bytes header_and_data;
};

L4 Udp(uint16_t source_port, uint16_t destination_port, size_t data_size = 18);
L4 Tcp(uint16_t source_port, uint16_t destination_port);
// ICMP (IPv4) or ICMPv6 message; `quoted` follows the 8-byte header.
L4 Icmp(uint8_t type, uint8_t code, const Bytes& quoted = {});
L4 Icmpv6(uint8_t type, uint8_t code, const Bytes& quoted = {});

struct Ipv4Options {
  Bytes options;              // Padded to 4-byte multiples by the builder.
  uint16_t fragment_field = 0;  // Flags and offset, host order.
  uint8_t ttl = 64;
};

struct Ipv6Options {
  // Extension headers as (type, body) in order; the builder sets each
  // header's next-header byte. The body includes the length byte.
  std::vector<std::pair<uint8_t, Bytes>> extension_headers;
  uint8_t hop_limit = 64;
};

// An IP packet without Ethernet header.
Bytes Ipv4Packet(const std::string& source, const std::string& destination, const L4& l4,
                 const Ipv4Options& options = {});
Bytes Ipv6Packet(const std::string& source, const std::string& destination, const L4& l4,
                 const Ipv6Options& options = {});

// Wraps a packet in Ethernet with the given VLAN tag ethertypes (0x8100,
// 0x88a8) before the payload's ethertype.
Bytes EthernetFrame(uint16_t ethertype, const Bytes& payload, const std::vector<uint16_t>& tags = {});

Bytes Ipv4Frame(const std::string& source, const std::string& destination, const L4& l4,
                const Ipv4Options& options = {});
Bytes Ipv6Frame(const std::string& source, const std::string& destination, const L4& l4,
                const Ipv6Options& options = {});
Bytes ArpFrame();

// An IPv6 fragment extension header body: offset in 8-byte units.
std::pair<uint8_t, Bytes> Ipv6FragmentHeader(uint16_t offset_units, bool more_fragments);

// Writes frames to a classic pcap file (microsecond timestamps, Ethernet).
bool WritePcap(const std::string& path, const std::vector<Bytes>& frames);
// Reads the frames of a pcap file written by DPDK's net_pcap.
std::vector<Bytes> ReadPcap(const std::string& path);

}  // namespace ztgate::testing

#endif  // ZTGATE_TESTS_DATAPLANE_FRAME_BUILDER_H_
