// The canned-answer handler of the transport benchmarks; see
// canned_answer_handler.h.
#include "bench/resolver_transport/canned_answer_handler.h"

#include <cstdint>

namespace ztgate::bench {
namespace {

constexpr size_t kHeaderBytes = 12;
constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAaaa = 28;
constexpr uint32_t kTtlSeconds = 300;

uint16_t Read16(std::string_view data, size_t offset) {
  return static_cast<uint16_t>((static_cast<uint8_t>(data[offset]) << 8) |
                               static_cast<uint8_t>(data[offset + 1]));
}

void Append16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

}  // namespace

std::string BuildCannedAnswer(std::string_view query) {
  if (query.size() < kHeaderBytes || Read16(query, 4) != 1) return "";
  size_t offset = kHeaderBytes;
  while (offset < query.size() && query[offset] != 0) {
    const uint8_t length = static_cast<uint8_t>(query[offset]);
    if (length > 63) return "";
    offset += 1 + length;
  }
  const size_t question_end = offset + 1 + 4;
  if (question_end > query.size()) return "";
  const uint16_t type = Read16(query, offset + 1);
  // The additional section (an OPT record) is echoed after the answer.
  const std::string_view additional = query.substr(question_end);

  std::string out(query.substr(0, question_end));
  out.reserve(question_end + 28 + additional.size());
  out[2] = static_cast<char>(0x80 | (query[2] & 0x79));  // QR, opcode, RD.
  out[3] = static_cast<char>(0x80);                       // RA, NOERROR.
  const bool answered = type == kTypeA || type == kTypeAaaa;
  out[6] = 0;
  out[7] = answered ? 1 : 0;
  out[8] = out[9] = 0;
  if (answered) {
    Append16(out, 0xc00c);  // The question's name, compressed.
    Append16(out, type);
    Append16(out, 1);  // IN.
    Append16(out, static_cast<uint16_t>(kTtlSeconds >> 16));
    Append16(out, static_cast<uint16_t>(kTtlSeconds & 0xffff));
    if (type == kTypeA) {
      Append16(out, 4);
      out.append("\xc6\x12\x00\x01", 4);  // 198.18.0.1
    } else {
      Append16(out, 16);
      out.append("\x20\x01\x0d\xb8", 4);  // 2001:db8::1
      out.append(11, '\0');
      out.push_back('\x01');
    }
  }
  out.append(additional);
  return out;
}

void CannedAnswerHandler::HandleQuery(std::string query,
                                      const resolver::transport::ClientContext&,
                                      resolver::transport::ResponseCallback done) {
  done(BuildCannedAnswer(query));
}

}  // namespace ztgate::bench
