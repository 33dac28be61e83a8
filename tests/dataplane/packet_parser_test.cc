// Tests of the packet parser over crafted frames: every protocol it
// classifies, VLAN and QinQ tags, IPv4 options and fragments, IPv6 extension
// header chains, ICMP errors with quoted packets, truncation at every byte
// offset, and garbage. The parser is a pure function, so no EAL is needed.
#include "dataplane/packet_parser.h"

#include <arpa/inet.h>

#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "tests/dataplane/frame_builder.h"

namespace ztgate::dataplane {
namespace {

using ::ztgate::testing::Bytes;
using ::ztgate::testing::L4;

ParsedFrame Parse(const Bytes& frame) {
  ParsedFrame parsed;
  ParseFrame(frame.data(), frame.size(), parsed);
  return parsed;
}

std::string AddressText(const Address16& address) {
  char text[INET6_ADDRSTRLEN] = {};
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(address.bytes, kMapped, 12) == 0) {
    inet_ntop(AF_INET, address.bytes + 12, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, address.bytes, text, sizeof(text));
  }
  return text;
}

TEST(PacketParserTest, Ipv4UdpGivesMappedAddressesAndPorts) {
  const ParsedFrame parsed =
      Parse(testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Udp(40000, 443)));
  ASSERT_EQ(parsed.kind, FrameKind::kIp);
  EXPECT_TRUE(parsed.is_v4);
  EXPECT_EQ(AddressText(parsed.source), "198.18.0.1");
  EXPECT_EQ(AddressText(parsed.destination), "203.0.113.7");
  EXPECT_EQ(parsed.source.bytes[10], 0xff);
  EXPECT_EQ(parsed.ip_protocol, 17);
  EXPECT_EQ(parsed.source_port, 40000);
  EXPECT_EQ(parsed.destination_port, 443);
  EXPECT_FALSE(parsed.is_dhcp);
  EXPECT_FALSE(parsed.later_fragment);
}

TEST(PacketParserTest, Ipv6TcpGivesAddressesAndPorts) {
  const ParsedFrame parsed =
      Parse(testing::Ipv6Frame("2001:db8::1", "2001:db8:1::2", testing::Tcp(50000, 80)));
  ASSERT_EQ(parsed.kind, FrameKind::kIp);
  EXPECT_FALSE(parsed.is_v4);
  EXPECT_EQ(AddressText(parsed.source), "2001:db8::1");
  EXPECT_EQ(AddressText(parsed.destination), "2001:db8:1::2");
  EXPECT_EQ(parsed.ip_protocol, 6);
  EXPECT_EQ(parsed.destination_port, 80);
}

TEST(PacketParserTest, ArpAndOtherEthertypes) {
  EXPECT_EQ(Parse(testing::ArpFrame()).kind, FrameKind::kArp);
  const ParsedFrame lldp = Parse(testing::EthernetFrame(0x88cc, Bytes(46, 0)));
  EXPECT_EQ(lldp.kind, FrameKind::kOtherEthertype);
  EXPECT_EQ(lldp.ethertype, 0x88cc);
}

TEST(PacketParserTest, VlanAndQinQTagsAreSkipped) {
  const Bytes packet = testing::Ipv4Packet("198.18.0.1", "203.0.113.7", testing::Udp(1, 2));
  const ParsedFrame single = Parse(testing::EthernetFrame(0x0800, packet, {0x8100}));
  ASSERT_EQ(single.kind, FrameKind::kIp);
  EXPECT_EQ(AddressText(single.destination), "203.0.113.7");
  const ParsedFrame double_tagged = Parse(testing::EthernetFrame(0x0800, packet, {0x88a8, 0x8100}));
  ASSERT_EQ(double_tagged.kind, FrameKind::kIp);
  EXPECT_EQ(AddressText(double_tagged.source), "198.18.0.1");
  const ParsedFrame arp = Parse(testing::EthernetFrame(0x0806, Bytes(28, 0), {0x8100}));
  EXPECT_EQ(arp.kind, FrameKind::kArp);
}

TEST(PacketParserTest, ThreeVlanTagsAreMalformed) {
  const Bytes packet = testing::Ipv4Packet("198.18.0.1", "203.0.113.7", testing::Udp(1, 2));
  const ParsedFrame parsed =
      Parse(testing::EthernetFrame(0x0800, packet, {0x88a8, 0x8100, 0x8100}));
  EXPECT_EQ(parsed.kind, FrameKind::kMalformed);
  EXPECT_EQ(parsed.malformed, MalformedReason::kTooManyHeaders);
}

TEST(PacketParserTest, Ipv4OptionsAreSkipped) {
  testing::Ipv4Options options;
  options.options = {0x94, 0x04, 0x00, 0x00};  // Router alert (RFC 2113).
  const ParsedFrame parsed =
      Parse(testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Udp(5000, 53), options));
  ASSERT_EQ(parsed.kind, FrameKind::kIp);
  EXPECT_EQ(parsed.destination_port, 53);
}

TEST(PacketParserTest, Ipv4SourceRouteIsRejected) {
  for (uint8_t option : {uint8_t{0x83}, uint8_t{0x89}}) {
    SCOPED_TRACE(option);
    testing::Ipv4Options options;
    options.options = {1, option, 7, 4, 192, 0, 2, 1};
    const ParsedFrame parsed =
        Parse(testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Udp(1, 2), options));
    EXPECT_EQ(parsed.kind, FrameKind::kMalformed);
    EXPECT_EQ(parsed.malformed, MalformedReason::kSourceRoute);
  }
}

TEST(PacketParserTest, Ipv4OptionWithBadLengthIsMalformed) {
  testing::Ipv4Options options;
  options.options = {0x94, 0x09, 0, 0};  // Length past the options.
  const ParsedFrame parsed =
      Parse(testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Udp(1, 2), options));
  EXPECT_EQ(parsed.malformed, MalformedReason::kBadHeader);
}

TEST(PacketParserTest, Ipv4FirstAndLaterFragments) {
  testing::Ipv4Options first;
  first.fragment_field = 0x2000;  // More fragments, offset 0.
  const ParsedFrame head =
      Parse(testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Udp(68, 67), first));
  ASSERT_EQ(head.kind, FrameKind::kIp);
  EXPECT_FALSE(head.later_fragment);
  EXPECT_EQ(head.destination_port, 67);
  EXPECT_FALSE(head.is_dhcp) << "a fragmented DHCP message does not pass without a flow";

  testing::Ipv4Options later;
  later.fragment_field = 0x0010;  // Offset 16 units of 8 bytes, last fragment.
  const ParsedFrame tail =
      Parse(testing::Ipv4Frame("198.18.0.1", "203.0.113.7", {17, Bytes(8, 0x44)}, later));
  ASSERT_EQ(tail.kind, FrameKind::kIp);
  EXPECT_TRUE(tail.later_fragment);
  EXPECT_EQ(tail.destination_port, 0);
  EXPECT_EQ(AddressText(tail.destination), "203.0.113.7");
}

TEST(PacketParserTest, Ipv4LaterFragmentLooksNothingLikeIcmp) {
  testing::Ipv4Options later;
  later.fragment_field = 0x0001;
  // Bytes that would read as an ICMP error if the parser looked at them.
  const Bytes fake_icmp = {3, 4, 0, 0, 0, 0, 0, 0};
  const ParsedFrame parsed =
      Parse(testing::Ipv4Frame("203.0.113.7", "198.18.0.1", {1, fake_icmp}, later));
  ASSERT_EQ(parsed.kind, FrameKind::kIp);
  EXPECT_TRUE(parsed.later_fragment);
  EXPECT_FALSE(parsed.is_icmp_error);
}

TEST(PacketParserTest, Dhcpv4AndDhcpv6AreFlagged) {
  EXPECT_TRUE(
      Parse(testing::Ipv4Frame("0.0.0.0", "255.255.255.255", testing::Udp(68, 67))).is_dhcp);
  EXPECT_TRUE(Parse(testing::Ipv4Frame("192.0.2.1", "198.18.0.9", testing::Udp(67, 68))).is_dhcp);
  EXPECT_TRUE(Parse(testing::Ipv6Frame("fe80::1", "ff02::1:2", testing::Udp(546, 547))).is_dhcp);
  EXPECT_FALSE(Parse(testing::Ipv4Frame("192.0.2.1", "198.18.0.9", testing::Udp(67, 80))).is_dhcp);
  EXPECT_FALSE(Parse(testing::Ipv6Frame("fe80::1", "ff02::1:2", testing::Udp(67, 68))).is_dhcp);
}

TEST(PacketParserTest, NdpNeedsHopLimit255) {
  for (uint8_t type = 133; type <= 137; ++type) {
    SCOPED_TRACE(type);
    testing::Ipv6Options options;
    options.hop_limit = 255;
    EXPECT_TRUE(
        Parse(testing::Ipv6Frame("fe80::1", "ff02::1", testing::Icmpv6(type, 0), options)).is_ndp);
    options.hop_limit = 254;
    EXPECT_FALSE(
        Parse(testing::Ipv6Frame("fe80::1", "ff02::1", testing::Icmpv6(type, 0), options)).is_ndp);
  }
  testing::Ipv6Options echo;
  echo.hop_limit = 255;
  EXPECT_FALSE(Parse(testing::Ipv6Frame("fe80::1", "ff02::1", testing::Icmpv6(128, 0), echo)).is_ndp);
}

TEST(PacketParserTest, MldNeedsHopLimit1) {
  for (uint8_t type : {130, 131, 132, 143}) {
    SCOPED_TRACE(type);
    testing::Ipv6Options options;
    options.hop_limit = 1;
    EXPECT_TRUE(
        Parse(testing::Ipv6Frame("fe80::1", "ff02::16", testing::Icmpv6(type, 0), options)).is_ndp);
    options.hop_limit = 2;
    EXPECT_FALSE(
        Parse(testing::Ipv6Frame("fe80::1", "ff02::16", testing::Icmpv6(type, 0), options)).is_ndp);
  }
}

TEST(PacketParserTest, FragmentedNdpIsNotFlagged) {
  testing::Ipv6Options options;
  options.hop_limit = 255;
  options.extension_headers = {testing::Ipv6FragmentHeader(0, true)};
  const ParsedFrame parsed =
      Parse(testing::Ipv6Frame("fe80::1", "ff02::1", testing::Icmpv6(135, 0), options));
  ASSERT_EQ(parsed.kind, FrameKind::kIp);
  EXPECT_FALSE(parsed.is_ndp);
}

TEST(PacketParserTest, Ipv6ExtensionChainIsWalked) {
  testing::Ipv6Options options;
  options.extension_headers = {
      {0, {0, 1, 4, 0, 0, 0, 0}},          // Hop-by-hop with PadN.
      {60, {0, 1, 4, 0, 0, 0, 0}},         // Destination options.
      {43, {0, 4, 0, 0, 0, 0, 0}},         // Routing, segments left 0.
      testing::Ipv6FragmentHeader(0, true),
      {51, {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},  // AH: 12 bytes, length field 1.
  };
  const ParsedFrame parsed =
      Parse(testing::Ipv6Frame("2001:db8::1", "2001:db8:1::2", testing::Udp(1000, 53), options));
  ASSERT_EQ(parsed.kind, FrameKind::kIp) << static_cast<int>(parsed.malformed);
  EXPECT_EQ(parsed.ip_protocol, 17);
  EXPECT_EQ(parsed.destination_port, 53);
  EXPECT_FALSE(parsed.later_fragment);
}

TEST(PacketParserTest, Ipv6LaterFragmentStopsTheChain) {
  testing::Ipv6Options options;
  options.extension_headers = {testing::Ipv6FragmentHeader(10, false)};
  const ParsedFrame parsed =
      Parse(testing::Ipv6Frame("2001:db8::1", "2001:db8:1::2", {17, Bytes(16, 0)}, options));
  ASSERT_EQ(parsed.kind, FrameKind::kIp);
  EXPECT_TRUE(parsed.later_fragment);
  EXPECT_EQ(parsed.ip_protocol, 17);
  EXPECT_EQ(parsed.destination_port, 0);
}

TEST(PacketParserTest, Ipv6RoutingHeaderWithSegmentsLeftIsRejected) {
  testing::Ipv6Options options;
  Bytes routing = {2, 4, 1, 0, 0, 0, 0};  // Length 2 (24 bytes), type 4, 1 segment left.
  routing.resize(23, 0);
  options.extension_headers = {{43, routing}};
  const ParsedFrame parsed =
      Parse(testing::Ipv6Frame("2001:db8::1", "2001:db8:1::2", testing::Udp(1, 2), options));
  EXPECT_EQ(parsed.kind, FrameKind::kMalformed);
  EXPECT_EQ(parsed.malformed, MalformedReason::kSourceRoute);
}

TEST(PacketParserTest, LongIpv6ExtensionChainIsMalformed) {
  testing::Ipv6Options options;
  for (int i = 0; i <= kMaxIpv6ExtensionHeaders; ++i) {
    options.extension_headers.push_back({60, {0, 1, 4, 0, 0, 0, 0}});
  }
  const ParsedFrame parsed =
      Parse(testing::Ipv6Frame("2001:db8::1", "2001:db8:1::2", testing::Udp(1, 2), options));
  EXPECT_EQ(parsed.malformed, MalformedReason::kTooManyHeaders);
}

TEST(PacketParserTest, Ipv6WithMappedAddressIsMalformed) {
  for (const auto& [source, destination] :
       {std::pair{"::ffff:198.18.0.1", "2001:db8::2"}, std::pair{"2001:db8::1", "::ffff:1.2.3.4"}}) {
    SCOPED_TRACE(source);
    const ParsedFrame parsed = Parse(testing::Ipv6Frame(source, destination, testing::Udp(1, 2)));
    EXPECT_EQ(parsed.kind, FrameKind::kMalformed);
    EXPECT_EQ(parsed.malformed, MalformedReason::kMappedAddress);
  }
}

TEST(PacketParserTest, Icmpv4ErrorQuotesInnerPair) {
  // A router tells the client 198.18.0.1 that its packet to 203.0.113.7
  // needs fragmentation.
  const Bytes quoted = testing::Ipv4Packet("198.18.0.1", "203.0.113.7", testing::Tcp(40000, 443));
  const ParsedFrame parsed = Parse(
      testing::Ipv4Frame("192.0.2.254", "198.18.0.1", testing::Icmp(3, 4, Bytes(quoted.begin(), quoted.begin() + 28))));
  ASSERT_EQ(parsed.kind, FrameKind::kIp);
  EXPECT_TRUE(parsed.is_icmp_error);
  EXPECT_EQ(AddressText(parsed.inner_source), "198.18.0.1");
  EXPECT_EQ(AddressText(parsed.inner_destination), "203.0.113.7");
}

TEST(PacketParserTest, Icmpv6PacketTooBigQuotesInnerPair) {
  const Bytes quoted = testing::Ipv6Packet("2001:db8::1", "2001:db8:1::2", testing::Tcp(1, 443));
  const ParsedFrame parsed =
      Parse(testing::Ipv6Frame("2001:db8:ffff::1", "2001:db8::1", testing::Icmpv6(2, 0, quoted)));
  ASSERT_EQ(parsed.kind, FrameKind::kIp);
  EXPECT_TRUE(parsed.is_icmp_error);
  EXPECT_EQ(AddressText(parsed.inner_source), "2001:db8::1");
  EXPECT_EQ(AddressText(parsed.inner_destination), "2001:db8:1::2");
}

TEST(PacketParserTest, IcmpErrorWithShortQuoteIsMalformed) {
  const Bytes quoted = testing::Ipv4Packet("198.18.0.1", "203.0.113.7", testing::Tcp(1, 2));
  const ParsedFrame parsed = Parse(testing::Ipv4Frame(
      "192.0.2.254", "198.18.0.1", testing::Icmp(11, 0, Bytes(quoted.begin(), quoted.begin() + 19))));
  EXPECT_EQ(parsed.kind, FrameKind::kMalformed);
  EXPECT_EQ(parsed.malformed, MalformedReason::kTruncated);
}

TEST(PacketParserTest, IcmpEchoIsNotAnError) {
  const ParsedFrame parsed =
      Parse(testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Icmp(8, 0)));
  ASSERT_EQ(parsed.kind, FrameKind::kIp);
  EXPECT_FALSE(parsed.is_icmp_error);
}

TEST(PacketParserTest, BadVersionAndLengthsAreMalformed) {
  Bytes frame = testing::Ipv4Frame("198.18.0.1", "203.0.113.7", testing::Udp(1, 2));
  Bytes bad_version = frame;
  bad_version[14] = 0x55;
  EXPECT_EQ(Parse(bad_version).malformed, MalformedReason::kBadHeader);
  Bytes short_ihl = frame;
  short_ihl[14] = 0x44;
  EXPECT_EQ(Parse(short_ihl).malformed, MalformedReason::kBadHeader);
  Bytes long_total = frame;
  long_total[16] = 0x05;  // Total length 1280+ in a 60-byte frame.
  EXPECT_EQ(Parse(long_total).malformed, MalformedReason::kTruncated);

  Bytes v6 = testing::Ipv6Frame("2001:db8::1", "2001:db8::2", testing::Udp(1, 2));
  Bytes jumbo = v6;
  jumbo[18] = 0;
  jumbo[19] = 0;
  EXPECT_EQ(Parse(jumbo).malformed, MalformedReason::kBadHeader);
}

TEST(PacketParserTest, UnfragmentedShortTransportIsTruncated) {
  const ParsedFrame parsed =
      Parse(testing::Ipv4Frame("198.18.0.1", "203.0.113.7", {6, Bytes(12, 0)}));
  EXPECT_EQ(parsed.kind, FrameKind::kMalformed);
  EXPECT_EQ(parsed.malformed, MalformedReason::kTruncated);
}

// Every prefix of a valid frame must parse without reading past its end and
// be reported malformed. Each prefix is copied to a buffer of exactly its
// size, so AddressSanitizer catches an overread in the sanitizer build.
TEST(PacketParserTest, TruncationAtEveryOffset) {
  testing::Ipv6Options v6_options;
  v6_options.extension_headers = {{0, {0, 1, 4, 0, 0, 0, 0}}, testing::Ipv6FragmentHeader(0, true)};
  const Bytes quoted = testing::Ipv4Packet("198.18.0.1", "203.0.113.7", testing::Tcp(1, 2));
  testing::Ipv4Options v4_options;
  v4_options.options = {0x94, 0x04, 0, 0};
  const std::vector<Bytes> frames = {
      testing::EthernetFrame(0x0800,
                             testing::Ipv4Packet("198.18.0.1", "203.0.113.7", testing::Tcp(1, 2),
                                                 v4_options),
                             {0x88a8, 0x8100}),
      testing::Ipv6Frame("2001:db8::1", "2001:db8::2", testing::Udp(546, 547), v6_options),
      testing::Ipv4Frame("192.0.2.254", "198.18.0.1", testing::Icmp(3, 4, quoted)),
  };
  for (size_t f = 0; f < frames.size(); ++f) {
    const ParsedFrame whole = Parse(frames[f]);
    ASSERT_EQ(whole.kind, FrameKind::kIp) << "frame " << f;
    for (size_t length = 0; length < frames[f].size(); ++length) {
      SCOPED_TRACE(::testing::Message() << "frame " << f << " length " << length);
      std::unique_ptr<uint8_t[]> exact(new uint8_t[length == 0 ? 1 : length]);
      std::memcpy(exact.get(), frames[f].data(), length);
      ParsedFrame parsed;
      ParseFrame(exact.get(), length, parsed);
      // The IP total length always covers the whole packet, so every
      // shorter frame is truncated, except Ethernet padding in the
      // fixed-size test frames, which none of these have.
      EXPECT_EQ(parsed.kind, FrameKind::kMalformed);
    }
  }
}

TEST(PacketParserTest, RandomGarbageNeverCrashes) {
  std::mt19937 random(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> size(0, 200);
  for (int i = 0; i < 20000; ++i) {
    Bytes frame(size(random));
    for (uint8_t& b : frame) b = static_cast<uint8_t>(byte(random));
    // Make most frames IP so the garbage reaches the deeper parsers.
    if (frame.size() > 14 && i % 3 != 0) {
      frame[12] = i % 2 ? 0x08 : 0x86;
      frame[13] = i % 2 ? 0x00 : 0xdd;
      if (frame.size() > 15) frame[14] = static_cast<uint8_t>(i % 2 ? 0x45 : 0x60);
    }
    std::unique_ptr<uint8_t[]> exact(new uint8_t[frame.size() + 1]);
    if (!frame.empty()) std::memcpy(exact.get(), frame.data(), frame.size());
    ParsedFrame parsed;
    ParseFrame(exact.get(), frame.size(), parsed);
    if (parsed.kind != FrameKind::kMalformed) {
      EXPECT_EQ(parsed.malformed, MalformedReason::kNone);
    }
  }
}

}  // namespace
}  // namespace ztgate::dataplane
