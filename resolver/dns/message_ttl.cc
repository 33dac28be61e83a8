// The smallest TTL of a response; see message_ttl.h.
#include "resolver/dns/message_ttl.h"

#include <algorithm>
#include <cstddef>

#include "resolver/dns/wire_reader.h"

namespace ztgate::resolver::dns {
namespace {

constexpr size_t kHeaderBytes = 12;
// TYPE, CLASS, TTL and RDLENGTH after a record's owner name.
constexpr size_t kRecordFixedBytes = 10;
constexpr uint16_t kTypeSoa = 6;
// SERIAL, REFRESH, RETRY, EXPIRE and MINIMUM close SOA RDATA, 4 bytes each.
constexpr size_t kSoaMinimumFromEnd = 4;
// RFC 2181 section 8: a TTL with the top bit set is read as zero.
constexpr uint32_t kMaxTtl = 0x7fffffff;

uint32_t LoadU32At(std::string_view wire, size_t offset) {
  return (uint32_t{LoadU16(wire, offset)} << 16) | LoadU16(wire, offset + 2);
}

// Moves `offset` past the name starting there; false when it runs past the
// end. A compression pointer ends the name in two bytes.
bool SkipName(std::string_view wire, size_t& offset) {
  while (offset < wire.size()) {
    const auto length = static_cast<uint8_t>(wire[offset]);
    if (length == 0) {
      offset += 1;
      return true;
    }
    if ((length & 0xc0) == 0xc0) {
      offset += 2;
      return offset <= wire.size();
    }
    if ((length & 0xc0) != 0) return false;
    offset += 1 + length;
  }
  return false;
}

}  // namespace

std::optional<uint32_t> MinimumTtl(std::string_view wire) {
  if (wire.size() < kHeaderBytes) return std::nullopt;
  const uint16_t questions = LoadU16(wire, 4);
  const size_t records = size_t{LoadU16(wire, 6)} + LoadU16(wire, 8);
  size_t offset = kHeaderBytes;
  for (uint16_t i = 0; i < questions; ++i) {
    if (!SkipName(wire, offset) || offset + 4 > wire.size()) return std::nullopt;
    offset += 4;
  }
  std::optional<uint32_t> minimum;
  for (size_t i = 0; i < records; ++i) {
    if (!SkipName(wire, offset) || offset + kRecordFixedBytes > wire.size()) return std::nullopt;
    const uint16_t type = LoadU16(wire, offset);
    uint32_t ttl = LoadU32At(wire, offset + 4);
    const size_t rdata_length = LoadU16(wire, offset + 8);
    offset += kRecordFixedBytes;
    if (offset + rdata_length > wire.size()) return std::nullopt;
    offset += rdata_length;
    if (type == kTypeSoa && rdata_length >= kSoaMinimumFromEnd) {
      ttl = std::min(ttl, LoadU32At(wire, offset - kSoaMinimumFromEnd));
    }
    if (ttl > kMaxTtl) ttl = 0;
    minimum = std::min(minimum.value_or(ttl), ttl);
  }
  return minimum;
}

}  // namespace ztgate::resolver::dns
