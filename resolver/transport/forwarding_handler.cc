// Forwarding every query to the upstream pool; see forwarding_handler.h.
#include "resolver/transport/forwarding_handler.h"

#include "resolver/dns/constants.h"
#include "resolver/dns/message.h"
#include "resolver/dns/response.h"

namespace ztgate::resolver::transport {

uint16_t ExtendedErrorFor(const absl::Status& status) {
  return status.code() == absl::StatusCode::kDeadlineExceeded ? dns::ede::kNoReachableAuthority
                                                              : dns::ede::kNetworkError;
}

std::string BuildServfail(std::string_view query, uint16_t info_code) {
  absl::StatusOr<dns::Message> message = dns::ParseMessage(query);
  if (!message.ok() || message->questions.size() != 1) return "";
  absl::StatusOr<std::string> wire =
      dns::EncodeMessage(dns::UpstreamFailureResponse(*message, info_code));
  return wire.ok() ? *std::move(wire) : "";
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
