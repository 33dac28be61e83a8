// Test DNS messages; see test_dns.h.
#include "tests/resolver/transport/test_dns.h"

#include <arpa/inet.h>

namespace ztgate::resolver::transport::testing {
namespace {

void Append16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

uint16_t Read16(std::string_view data, size_t offset) {
  return static_cast<uint16_t>((static_cast<uint8_t>(data[offset]) << 8) |
                               static_cast<uint8_t>(data[offset + 1]));
}

// Skips a possibly compressed name; npos when it runs past the end.
size_t SkipName(std::string_view message, size_t offset) {
  while (offset < message.size()) {
    const uint8_t length = static_cast<uint8_t>(message[offset]);
    if (length == 0) return offset + 1;
    if ((length & 0xc0) == 0xc0) return offset + 2;
    offset += 1 + length;
  }
  return std::string_view::npos;
}

}  // namespace

std::string BuildQuery(uint16_t id, std::string_view name, uint16_t type) {
  std::string out;
  Append16(out, id);
  Append16(out, 0x0100);  // RD.
  Append16(out, 1);       // QDCOUNT.
  Append16(out, 0);
  Append16(out, 0);
  Append16(out, 1);  // ARCOUNT: the OPT record.
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    out.push_back(static_cast<char>(dot - start));
    out.append(name.substr(start, dot - start));
    start = dot + 1;
  }
  out.push_back(0);
  Append16(out, type);
  Append16(out, 1);  // IN.
  out.push_back(0);  // OPT: root name, type 41, payload size 1232, no options.
  Append16(out, 41);
  Append16(out, 1232);
  out.append(4, '\0');
  Append16(out, 0);
  return out;
}

std::optional<ParsedResponse> ParseResponse(std::string_view message) {
  if (message.size() < 12) return std::nullopt;
  ParsedResponse parsed;
  parsed.id = Read16(message, 0);
  parsed.rcode = static_cast<uint8_t>(message[3]) & 0x0f;
  const uint16_t questions = Read16(message, 4);
  const size_t records = size_t{Read16(message, 6)} + Read16(message, 8) + Read16(message, 10);
  size_t offset = 12;
  for (uint16_t i = 0; i < questions; ++i) {
    offset = SkipName(message, offset);
    if (offset == std::string_view::npos || offset + 4 > message.size()) return std::nullopt;
    parsed.question_type = Read16(message, offset);
    offset += 4;
  }
  for (size_t i = 0; i < records; ++i) {
    offset = SkipName(message, offset);
    if (offset == std::string_view::npos || offset + 10 > message.size()) return std::nullopt;
    const uint16_t type = Read16(message, offset);
    const uint16_t length = Read16(message, offset + 8);
    offset += 10;
    if (offset + length > message.size()) return std::nullopt;
    char text[INET6_ADDRSTRLEN] = {};
    if (type == 1 && length == 4) {
      inet_ntop(AF_INET, message.data() + offset, text, sizeof(text));
      parsed.addresses.push_back(text);
    } else if (type == 28 && length == 16) {
      inet_ntop(AF_INET6, message.data() + offset, text, sizeof(text));
      parsed.addresses.push_back(text);
    } else if (type == 41) {
      for (size_t option = offset; option + 4 <= offset + length;) {
        const uint16_t code = Read16(message, option);
        const uint16_t option_length = Read16(message, option + 2);
        if (code == 15 && option_length >= 2) parsed.extended_error = Read16(message, option + 4);
        option += 4 + option_length;
      }
    }
    offset += length;
  }
  return parsed;
}

}  // namespace ztgate::resolver::transport::testing
