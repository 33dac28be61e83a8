// Bounds-checked reading of DNS wire data, shared by the message parser and
// the RDATA readers. Every read checks what is left and fails with
// INVALID_ARGUMENT instead of reading past the end.
#ifndef ZTGATE_RESOLVER_DNS_WIRE_READER_H_
#define ZTGATE_RESOLVER_DNS_WIRE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "resolver/dns/name.h"

namespace ztgate::resolver::dns {

class WireReader {
 public:
  // `message` is the whole message, which compression pointers index; the
  // reader starts at `offset` and may not read at or past `limit`.
  WireReader(std::string_view message, size_t offset, size_t limit)
      : message_(message), offset_(offset), limit_(limit) {}
  explicit WireReader(std::string_view message) : WireReader(message, 0, message.size()) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return limit_ - offset_; }

  absl::Status ReadU8(uint8_t& value);
  absl::Status ReadU16(uint16_t& value);
  absl::Status ReadU32(uint32_t& value);
  absl::Status ReadBytes(size_t count, std::string_view& bytes);
  // Reads a name, following compression pointers when `allow_compression`.
  absl::Status ReadName(Name& name, bool allow_compression = true);

 private:
  absl::Status Need(size_t count) const;
  // Checks the compression pointer at `position` and returns its target.
  absl::StatusOr<size_t> PointerTarget(size_t position, size_t bound, size_t lowest,
                                       bool allow_compression) const;

  std::string_view message_;
  size_t offset_;
  size_t limit_;
};

// Appends big-endian integers to `out`.
inline void AppendU16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}
inline void AppendU32(std::string& out, uint32_t value) {
  AppendU16(out, static_cast<uint16_t>(value >> 16));
  AppendU16(out, static_cast<uint16_t>(value & 0xffff));
}
inline uint16_t LoadU16(std::string_view bytes, size_t offset) {
  return static_cast<uint16_t>((static_cast<uint8_t>(bytes[offset]) << 8) |
                               static_cast<uint8_t>(bytes[offset + 1]));
}

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_WIRE_READER_H_
