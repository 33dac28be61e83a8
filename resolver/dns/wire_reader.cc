// Bounds-checked DNS wire reading; see wire_reader.h.
#include "resolver/dns/wire_reader.h"

#include "common/str_cat.h"
#include "resolver/dns/constants.h"

namespace ztgate::resolver::dns {
namespace {

constexpr uint8_t kPointerBits = 0xc0;

}  // namespace

absl::Status WireReader::Need(size_t count) const {
  if (count > limit_ - offset_) {
    return absl::InvalidArgumentError(
        StrCat("truncated message: need ", count, " octets at offset ", offset_, ", have ",
               limit_ - offset_));
  }
  return absl::OkStatus();
}

absl::Status WireReader::ReadU8(uint8_t& value) {
  if (absl::Status s = Need(1); !s.ok()) return s;
  value = static_cast<uint8_t>(message_[offset_++]);
  return absl::OkStatus();
}

absl::Status WireReader::ReadU16(uint16_t& value) {
  if (absl::Status s = Need(2); !s.ok()) return s;
  value = LoadU16(message_, offset_);
  offset_ += 2;
  return absl::OkStatus();
}

absl::Status WireReader::ReadU32(uint32_t& value) {
  uint16_t high = 0;
  uint16_t low = 0;
  if (absl::Status s = ReadU16(high); !s.ok()) return s;
  if (absl::Status s = ReadU16(low); !s.ok()) return s;
  value = (uint32_t{high} << 16) | low;
  return absl::OkStatus();
}

absl::Status WireReader::ReadBytes(size_t count, std::string_view& bytes) {
  if (absl::Status s = Need(count); !s.ok()) return s;
  bytes = message_.substr(offset_, count);
  offset_ += count;
  return absl::OkStatus();
}

// RFC 1035 section 4.1.4. A pointer must point before the lowest position
// this name has read so far, so each jump moves strictly backwards. Loops and
// forward pointers fail, and a walk makes at most message-size jumps.
absl::StatusOr<size_t> WireReader::PointerTarget(size_t position, size_t bound, size_t lowest,
                                                 bool allow_compression) const {
  if (!allow_compression) {
    return absl::InvalidArgumentError(
        StrCat("compression pointer where none is allowed at offset ", position));
  }
  if (position + 1 >= bound) {
    return absl::InvalidArgumentError("compression pointer runs past the end");
  }
  const size_t target = LoadU16(message_, position) & 0x3fff;
  if (target >= lowest) {
    return absl::InvalidArgumentError(StrCat("compression pointer at offset ", position, " to ",
                                             target, " does not point backwards"));
  }
  return target;
}

// Only the labels before the first pointer are bounded by `limit_`, because
// a name inside RDATA may point anywhere earlier in the message.
absl::Status WireReader::ReadName(Name& name, bool allow_compression) {
  // A stack buffer: names are short, and growing a string label by label
  // costs several allocations per name.
  char wire[kMaxNameSize];
  size_t size = 0;
  size_t position = offset_;
  size_t lowest = offset_;
  size_t bound = limit_;
  bool jumped = false;

  while (true) {
    if (position >= bound) {
      return absl::InvalidArgumentError(StrCat("name runs past the end at offset ", position));
    }
    const uint8_t length = static_cast<uint8_t>(message_[position]);
    if ((length & kPointerBits) == kPointerBits) {
      absl::StatusOr<size_t> target = PointerTarget(position, bound, lowest, allow_compression);
      if (!target.ok()) return target.status();
      if (!jumped) offset_ = position + 2;
      jumped = true;
      position = lowest = *target;
      bound = message_.size();
      continue;
    }
    if ((length & kPointerBits) != 0) {
      return absl::InvalidArgumentError(StrCat(
          "unsupported label type 0x", fmt::format("{:02x}", length), " at offset ", position));
    }

    if (position + 1 + length > bound) {
      return absl::InvalidArgumentError(StrCat("label runs past the end at offset ", position));
    }
    if (size + 1 + length > kMaxNameSize) {
      return absl::InvalidArgumentError("name over 255 octets");
    }
    message_.copy(wire + size, 1 + length, position);
    size += 1 + length;
    position += 1 + length;
    if (length == 0) break;
  }

  if (!jumped) offset_ = position;
  absl::StatusOr<Name> parsed = Name::FromWire(std::string_view(wire, size));
  if (!parsed.ok()) return parsed.status();
  name = std::move(*parsed);
  return absl::OkStatus();
}

}  // namespace ztgate::resolver::dns
