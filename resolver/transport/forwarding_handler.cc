// Forwarding every query to the upstream pool; see forwarding_handler.h.
#include "resolver/transport/forwarding_handler.h"

namespace ztgate::resolver::transport {
namespace {

constexpr size_t kDnsHeaderBytes = 12;
constexpr uint16_t kTypeOpt = 41;            // RFC 6891 section 6.1.1.
constexpr uint16_t kOptionEde = 15;          // RFC 8914 section 2.
constexpr uint8_t kRcodeServfail = 2;
constexpr uint16_t kEdeNoReachableAuthority = 22;
constexpr uint16_t kEdeNetworkError = 23;
// The UDP payload size advertised in our OPT record; DoT ignores it, but the
// field must hold a value of at least 512 (RFC 6891 section 6.2.5).
constexpr uint16_t kOptPayloadSize = 1232;

uint16_t Read16(std::string_view data, size_t offset) {
  return static_cast<uint16_t>((static_cast<uint8_t>(data[offset]) << 8) |
                               static_cast<uint8_t>(data[offset + 1]));
}

void Append16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

// The end offset of the single question, 0 when it cannot be read.
size_t QuestionEnd(std::string_view query) {
  if (query.size() < kDnsHeaderBytes || Read16(query, 4) != 1) return 0;
  size_t offset = kDnsHeaderBytes;
  while (offset < query.size()) {
    const uint8_t length = static_cast<uint8_t>(query[offset]);
    if (length == 0) break;
    if (length > 63) return 0;
    offset += 1 + length;
  }
  if (offset + 1 + 4 > query.size()) return 0;
  return offset + 1 + 4;
}

// True when an OPT record (root name, type 41) follows the question.
bool HasOptAfterQuestion(std::string_view query, size_t question_end) {
  return Read16(query, 6) == 0 && Read16(query, 8) == 0 && Read16(query, 10) >= 1 &&
         question_end + 3 <= query.size() && query[question_end] == 0 &&
         Read16(query, question_end + 1) == kTypeOpt;
}

}  // namespace

uint16_t ExtendedErrorFor(const absl::Status& status) {
  return status.code() == absl::StatusCode::kDeadlineExceeded ? kEdeNoReachableAuthority
                                                              : kEdeNetworkError;
}

std::string BuildServfail(std::string_view query, uint16_t info_code) {
  const size_t question_end = QuestionEnd(query);
  if (question_end == 0) return "";
  const bool with_opt = HasOptAfterQuestion(query, question_end);
  std::string out(query.substr(0, question_end));
  // QR set, opcode and RD kept, AA/TC cleared; RA set; RCODE SERVFAIL.
  out[2] = static_cast<char>(0x80 | (query[2] & 0x79));
  out[3] = static_cast<char>(0x80 | kRcodeServfail);
  out[6] = out[7] = out[8] = out[9] = 0;
  out[10] = 0;
  out[11] = with_opt ? 1 : 0;
  if (!with_opt) return out;
  out.push_back(0);  // Root name.
  Append16(out, kTypeOpt);
  Append16(out, kOptPayloadSize);
  out.append(4, '\0');  // Extended RCODE, version, flags.
  Append16(out, 6);     // RDLENGTH: one option of 2 + 2 + 2 bytes.
  Append16(out, kOptionEde);
  Append16(out, 2);  // Option length: the info code, no extra text.
  Append16(out, info_code);
  return out;
}

void ForwardingHandler::HandleQuery(std::string query, const ClientContext&,
                                    ResponseCallback done) {
  std::string copy = query;
  pool_->Resolve(std::move(query), [copy = std::move(copy), done = std::move(done)](
                                       absl::StatusOr<std::string> response) {
    if (response.ok()) {
      done(std::move(*response));
      return;
    }
    done(BuildServfail(copy, ExtendedErrorFor(response.status())));
  });
}

}  // namespace ztgate::resolver::transport
