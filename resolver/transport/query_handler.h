// The interface between the DoT server and whatever answers DNS queries
// (policy, cache and upstreams, wired together by ztgate-control). The
// server hands over each complete DNS message with the client's context and
// writes whatever the handler completes with, in completion order, so
// pipelined queries are answered out of order as they finish.
#ifndef ZTGATE_RESOLVER_TRANSPORT_QUERY_HANDLER_H_
#define ZTGATE_RESOLVER_TRANSPORT_QUERY_HANDLER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "resolver/transport/tls_context.h"

namespace ztgate::resolver::transport {

// The sender of a query: address, port and verified certificate identity.
struct ClientContext {
  IpAddress address;
  uint16_t port = 0;
  // Set only when the client presented a certificate that verified against
  // the configured client CA.
  ClientIdentity identity;
  std::string_view transport = "dot";
};

// Completes a query with the response message (no length prefix). An empty
// string sends nothing and leaves the query unanswered; the server counts it.
// May be called on any thread, exactly once.
using ResponseCallback = std::function<void(std::string response)>;

class QueryHandler {
 public:
  virtual ~QueryHandler() = default;

  // Starts answering `query`, a whole DNS message of at least 12 bytes (the
  // header). Must not block: slow work completes `done` later.
  virtual void HandleQuery(std::string query, const ClientContext& client,
                           ResponseCallback done) = 0;
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_QUERY_HANDLER_H_
