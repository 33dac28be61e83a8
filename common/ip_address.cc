// IP address and prefix values; see ip_address.h.
#include "common/ip_address.h"

#include <algorithm>
#include <cstring>

#include "common/parse_number.h"
#include "common/str_cat.h"
#include "common/platform_inet.h"

namespace ztgate {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Number of leading bits of the 16-byte form that an IPv4 prefix skips.
constexpr int kV4MappedBits = 96;

}  // namespace

IpAddress IpAddress::FromV4(const std::array<uint8_t, 4>& bytes) {
  IpAddress address;
  std::copy(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), address.bytes_.begin());
  std::copy(bytes.begin(), bytes.end(), address.bytes_.begin() + 12);
  return address;
}

IpAddress IpAddress::FromV6(const std::array<uint8_t, 16>& bytes) {
  IpAddress address;
  address.bytes_ = bytes;
  return address;
}

absl::StatusOr<IpAddress> IpAddress::Parse(std::string_view text) {
  std::array<uint8_t, 4> v4{};
  if (ParseInet4(text, v4.data())) return FromV4(v4);
  std::array<uint8_t, 16> v6{};
  if (ParseInet6(text, v6.data())) return FromV6(v6);
  return absl::InvalidArgumentError(StrCat("invalid IP address \"", text, "\""));
}

absl::StatusOr<IpAddress> IpAddress::FromBytes(std::string_view bytes) {
  if (bytes.size() == 4) {
    std::array<uint8_t, 4> v4{};
    std::memcpy(v4.data(), bytes.data(), 4);
    return FromV4(v4);
  }
  if (bytes.size() == 16) {
    std::array<uint8_t, 16> v6{};
    std::memcpy(v6.data(), bytes.data(), 16);
    return FromV6(v6);
  }
  return absl::InvalidArgumentError(
      StrCat("invalid address length ", bytes.size(), ": expected 4 or 16 bytes"));
}

bool IpAddress::is_v4() const {
  return std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), bytes_.begin());
}

std::string IpAddress::ToBytes() const {
  const char* data = reinterpret_cast<const char*>(bytes_.data());
  return is_v4() ? std::string(data + 12, 4) : std::string(data, 16);
}

std::string IpAddress::ToString() const {
  return is_v4() ? FormatInet4(bytes_.data() + 12) : FormatInet6(bytes_.data());
}

absl::StatusOr<IpPrefix> IpPrefix::Create(const IpAddress& address, int length) {
  const int width = address.is_v4() ? 32 : 128;
  if (length < 0 || length > width) {
    return absl::InvalidArgumentError(StrCat("invalid prefix length ", length, " for ",
                                                   address.ToString(), ": expected 0-", width));
  }
  IpPrefix prefix;
  prefix.address_ = address;
  prefix.length_ = length;
  // Every bit after the prefix must be zero.
  const int first_host_bit = (address.is_v4() ? kV4MappedBits : 0) + length;
  const auto& bytes = address.bytes16();
  for (int bit = first_host_bit; bit < 128; ++bit) {
    if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return absl::InvalidArgumentError(StrCat(
          "invalid prefix ", address.ToString(), "/", length, ": host bits are set"));
    }
  }
  return prefix;
}

absl::StatusOr<IpPrefix> IpPrefix::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  absl::StatusOr<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  if (!address.ok()) return address.status();
  int length = address->is_v4() ? 32 : 128;
  if (slash != std::string_view::npos && !ParseDecimal(text.substr(slash + 1), &length)) {
    return absl::InvalidArgumentError(StrCat("invalid prefix \"", text, "\""));
  }
  return Create(*address, length);
}

bool IpPrefix::Contains(const IpAddress& address) const {
  if (address.is_v4() != address_.is_v4()) return false;
  const int bits = (address_.is_v4() ? kV4MappedBits : 0) + length_;
  const auto& a = address.bytes16();
  const auto& b = address_.bytes16();
  const int whole = bits / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
  if (bits % 8 == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits % 8));
  return (a[whole] & mask) == (b[whole] & mask);
}

std::string IpPrefix::ToString() const {
  return StrCat(address_.ToString(), "/", length_);
}

}  // namespace ztgate
