// A QueryHandler that forwards every query, unchanged, to the upstream pool
// and answers a failure with SERVFAIL carrying an Extended DNS Error
// (RFC 8914): 22 (No Reachable Authority) after a timeout, 23 (Network
// Error) after a network or TLS failure. It applies no policy and no cache.
// It is the transport's own end-to-end path for the transport tests, and
// ztgate-control puts policy and cache in front of the pool instead.
#ifndef ZTGATE_RESOLVER_TRANSPORT_FORWARDING_HANDLER_H_
#define ZTGATE_RESOLVER_TRANSPORT_FORWARDING_HANDLER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "resolver/transport/query_handler.h"
#include "resolver/transport/upstream_pool.h"

namespace ztgate::resolver::transport {

class ForwardingHandler : public QueryHandler {
 public:
  explicit ForwardingHandler(std::shared_ptr<UpstreamPool> pool) : pool_(std::move(pool)) {}

  void HandleQuery(std::string query, const ClientContext& client,
                   ResponseCallback done) override;

 private:
  std::shared_ptr<UpstreamPool> pool_;
};

// EDE info code for an upstream failure status: 22 for DEADLINE_EXCEEDED,
// 23 for anything else.
uint16_t ExtendedErrorFor(const absl::Status& status);

// Builds SERVFAIL for `query` with the DNS codec (dns::UpstreamFailureResponse):
// its ID, opcode, RD and question, and, when the query has EDNS, an OPT
// record with the EDE option `info_code`. Empty when the query does not
// parse or does not have exactly one question.
std::string BuildServfail(std::string_view query, uint16_t info_code);

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_FORWARDING_HANDLER_H_
