// A QueryHandler that answers every A or AAAA query from memory with one
// fixed address (198.18.0.1 or 2001:db8::1, TTL 300) and every other type
// with an empty NOERROR answer: the cheapest possible "cached answer", so
// the benchmarks measure the transport and not a resolver.
#ifndef ZTGATE_BENCH_RESOLVER_TRANSPORT_CANNED_ANSWER_HANDLER_H_
#define ZTGATE_BENCH_RESOLVER_TRANSPORT_CANNED_ANSWER_HANDLER_H_

#include <string>

#include "resolver/transport/query_handler.h"

namespace ztgate::bench {

class CannedAnswerHandler : public resolver::transport::QueryHandler {
 public:
  void HandleQuery(std::string query, const resolver::transport::ClientContext& client,
                   resolver::transport::ResponseCallback done) override;
};

// The response to `query`; empty when its single question cannot be read.
std::string BuildCannedAnswer(std::string_view query);

}  // namespace ztgate::bench

#endif  // ZTGATE_BENCH_RESOLVER_TRANSPORT_CANNED_ANSWER_HANDLER_H_
