// DoT framing; see dot_session.h.
#include "resolver/transport/dot_session.h"

#include "common/str_cat.h"
#include "resolver/transport/transport_limits.h"

namespace ztgate::resolver::transport {

bool DotSession::OnReceive(std::string_view bytes) {
  input_.append(bytes);
  return SubmitFrames();
}

bool DotSession::SubmitFrames() {
  size_t offset = 0;
  bool ok = true;
  while (input_.size() - offset >= 2 && sink_.CanSubmit()) {
    const auto* prefix = reinterpret_cast<const uint8_t*>(input_.data() + offset);
    const size_t length = (size_t{prefix[0]} << 8) | prefix[1];
    if (length < kDnsHeaderBytes) {
      state_.stats.Add(&ServerCounters::malformed_frames);
      state_.LogError("malformed frame", peer_,
                      StrCat("length ", length, " is shorter than a DNS header"));
      ok = false;
      break;
    }
    if (input_.size() - offset - 2 < length) break;
    sink_.SubmitQuery(input_.substr(offset + 2, length), 0);
    offset += 2 + length;
  }
  input_.erase(0, offset);
  return ok;
}

bool DotSession::OnResponse(uint64_t, std::string response) {
  if (response.size() < kDnsHeaderBytes || response.size() > kMaxDnsMessageBytes) {
    state_.stats.Add(&ServerCounters::responses_dropped);
  } else {
    output_.push_back(static_cast<char>(response.size() >> 8));
    output_.push_back(static_cast<char>(response.size() & 0xff));
    output_.append(response);
    state_.stats.Add(&ServerCounters::responses);
  }
  // Reading may have paused at the in-flight limit with whole frames left.
  return SubmitFrames();
}

void DotSession::TakeOutput(std::string& out) {
  // The connection passes an empty buffer, so swapping saves a copy.
  if (out.empty()) {
    out.swap(output_);
  } else {
    out.append(output_);
  }
  output_.clear();
}

}  // namespace ztgate::resolver::transport
