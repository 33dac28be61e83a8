// IPv4 and IPv6 addresses and prefixes as values, in the 16-byte form the
// allow table uses: an IPv4 address is stored as an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d, RFC 4291 section 2.5.5.2), so one key type serves both
// families. On the wire (proto/) addresses are 4 or 16 raw bytes.
#ifndef ZTGATE_COMMON_IP_ADDRESS_H_
#define ZTGATE_COMMON_IP_ADDRESS_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ztgate {

class IpAddress {
 public:
  // The IPv6 unspecified address "::".
  IpAddress() = default;

  static IpAddress FromV4(const std::array<uint8_t, 4>& bytes);
  static IpAddress FromV6(const std::array<uint8_t, 16>& bytes);
  // Parses "192.0.2.1" or "2001:db8::1".
  static absl::StatusOr<IpAddress> Parse(std::string_view text);
  // Reads 4 or 16 network-order bytes, as carried in proto messages.
  static absl::StatusOr<IpAddress> FromBytes(std::string_view bytes);

  bool is_v4() const;
  // The 16-byte form (IPv4-mapped for IPv4).
  const std::array<uint8_t, 16>& bytes16() const { return bytes_; }
  // 4 bytes for IPv4, 16 for IPv6.
  std::string ToBytes() const;
  std::string ToString() const;

  auto operator<=>(const IpAddress&) const = default;

  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& address) {
    return H::combine(std::move(h), address.bytes_);
  }

 private:
  std::array<uint8_t, 16> bytes_{};
};

class IpPrefix {
 public:
  IpPrefix() = default;
  // Rejects a length past the family's width and set host bits.
  static absl::StatusOr<IpPrefix> Create(const IpAddress& address, int length);
  // Parses "192.0.2.0/24" or "2001:db8::/32"; a bare address is a host prefix.
  static absl::StatusOr<IpPrefix> Parse(std::string_view text);

  const IpAddress& address() const { return address_; }
  // Length within the address's own family: 0-32 for IPv4, 0-128 for IPv6.
  int length() const { return length_; }
  bool Contains(const IpAddress& address) const;
  std::string ToString() const;

  auto operator<=>(const IpPrefix&) const = default;

 private:
  IpAddress address_;
  int length_ = 0;
};

}  // namespace ztgate

#endif  // ZTGATE_COMMON_IP_ADDRESS_H_
