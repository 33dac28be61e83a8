// Tests of IpAddress and IpPrefix: parsing, the 16-byte form, wire bytes
// and prefix matching on both sides of the boundary.
#include "common/ip_address.h"

#include <gtest/gtest.h>

namespace ztgate {
namespace {

TEST(IpAddressTest, ParsesIpv4AsMapped) {
  absl::StatusOr<IpAddress> address = IpAddress::Parse("192.0.2.1");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_TRUE(address->is_v4());
  EXPECT_EQ(address->bytes16()[10], 0xff);
  EXPECT_EQ(address->bytes16()[15], 1);
  EXPECT_EQ(address->ToString(), "192.0.2.1");
  EXPECT_EQ(address->ToBytes(), std::string("\xc0\x00\x02\x01", 4));
}

TEST(IpAddressTest, ParsesIpv6) {
  absl::StatusOr<IpAddress> address = IpAddress::Parse("2001:DB8::1");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_FALSE(address->is_v4());
  EXPECT_EQ(address->ToString(), "2001:db8::1");
  EXPECT_EQ(address->ToBytes().size(), 16u);
}

TEST(IpAddressTest, RejectsInvalidText) {
  for (const char* text : {"", "192.0.2", "192.0.2.256", "2001:db8:::1", "example.com",
                           "192.0.2.1 "}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(IpAddress::Parse(text).ok());
  }
}

TEST(IpAddressTest, WireBytesRoundTrip) {
  for (const char* text : {"198.18.0.1", "2001:db8:1::53"}) {
    SCOPED_TRACE(text);
    const IpAddress address = *IpAddress::Parse(text);
    absl::StatusOr<IpAddress> decoded = IpAddress::FromBytes(address.ToBytes());
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, address);
  }
}

TEST(IpAddressTest, RejectsWrongWireLength) {
  absl::StatusOr<IpAddress> decoded = IpAddress::FromBytes("\x01\x02\x03");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(IpPrefixTest, ContainsAtBoundary) {
  const IpPrefix prefix = *IpPrefix::Parse("198.18.0.0/15");
  EXPECT_TRUE(prefix.Contains(*IpAddress::Parse("198.18.0.0")));
  EXPECT_TRUE(prefix.Contains(*IpAddress::Parse("198.19.255.255")));
  EXPECT_FALSE(prefix.Contains(*IpAddress::Parse("198.20.0.0")));
  EXPECT_FALSE(prefix.Contains(*IpAddress::Parse("198.17.255.255")));
}

TEST(IpPrefixTest, FamiliesDoNotMix) {
  const IpPrefix v4_all = *IpPrefix::Parse("0.0.0.0/0");
  EXPECT_TRUE(v4_all.Contains(*IpAddress::Parse("203.0.113.9")));
  EXPECT_FALSE(v4_all.Contains(*IpAddress::Parse("2001:db8::1")));
}

// IPv4-mapped IPv6 text names the IPv4 address, because both share one
// 16-byte form. The dataplane parser must therefore reject IPv6 packets
// that carry such addresses.
TEST(IpAddressTest, MappedTextIsIpv4) {
  const IpAddress mapped = *IpAddress::Parse("::ffff:192.0.2.1");
  EXPECT_TRUE(mapped.is_v4());
  EXPECT_EQ(mapped, *IpAddress::Parse("192.0.2.1"));
}

TEST(IpPrefixTest, Ipv6Prefix) {
  const IpPrefix prefix = *IpPrefix::Parse("2001:db8::/33");
  EXPECT_TRUE(prefix.Contains(*IpAddress::Parse("2001:db8:7fff::1")));
  EXPECT_FALSE(prefix.Contains(*IpAddress::Parse("2001:db8:8000::1")));
  EXPECT_EQ(prefix.ToString(), "2001:db8::/33");
}

TEST(IpPrefixTest, RejectsHostBitsAndBadLength) {
  EXPECT_FALSE(IpPrefix::Parse("192.0.2.1/24").ok());
  EXPECT_FALSE(IpPrefix::Parse("192.0.2.0/33").ok());
  EXPECT_FALSE(IpPrefix::Parse("2001:db8::/129").ok());
  EXPECT_FALSE(IpPrefix::Parse("192.0.2.0/x").ok());
}

TEST(IpPrefixTest, BareAddressIsHostPrefix) {
  const IpPrefix prefix = *IpPrefix::Parse("192.0.2.53");
  EXPECT_EQ(prefix.length(), 32);
  EXPECT_TRUE(prefix.Contains(*IpAddress::Parse("192.0.2.53")));
  EXPECT_FALSE(prefix.Contains(*IpAddress::Parse("192.0.2.54")));
}

}  // namespace
}  // namespace ztgate
