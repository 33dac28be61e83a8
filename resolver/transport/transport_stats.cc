// Field names of the transport counters, for export.
#include "resolver/transport/transport_stats.h"

namespace ztgate::resolver::transport {

// A field added to ServerCounters must be added to the list below too.
static_assert(sizeof(ServerCounters) == 29 * sizeof(uint64_t),
              "NamedCounters() must list every ServerCounters field");

std::vector<std::pair<std::string_view, uint64_t>> NamedCounters(const ServerCounters& counters) {
  return {
      {"connections_accepted", counters.connections_accepted},
      {"connections_rejected_total_limit", counters.connections_rejected_total_limit},
      {"connections_rejected_client_limit", counters.connections_rejected_client_limit},
      {"connections_closed", counters.connections_closed},
      {"handshakes_completed", counters.handshakes_completed},
      {"handshakes_resumed", counters.handshakes_resumed},
      {"handshakes_failed", counters.handshakes_failed},
      {"handshake_timeouts", counters.handshake_timeouts},
      {"idle_timeouts", counters.idle_timeouts},
      {"queries", counters.queries},
      {"responses", counters.responses},
      {"malformed_frames", counters.malformed_frames},
      {"responses_dropped", counters.responses_dropped},
      {"responses_after_close", counters.responses_after_close},
      {"tls_reloads", counters.tls_reloads},
      {"tls_reload_failures", counters.tls_reload_failures},
      {"http2_connections", counters.http2_connections},
      {"http1_connections", counters.http1_connections},
      {"http_requests", counters.http_requests},
      {"http_400_bad_request", counters.http_400_bad_request},
      {"http_404_not_found", counters.http_404_not_found},
      {"http_405_method_not_allowed", counters.http_405_method_not_allowed},
      {"http_413_content_too_large", counters.http_413_content_too_large},
      {"http_414_uri_too_long", counters.http_414_uri_too_long},
      {"http_415_unsupported_media_type", counters.http_415_unsupported_media_type},
      {"http_431_header_fields_too_large", counters.http_431_header_fields_too_large},
      {"http_501_not_implemented", counters.http_501_not_implemented},
      {"http_502_bad_gateway", counters.http_502_bad_gateway},
      {"http2_session_errors", counters.http2_session_errors},
  };
}

}  // namespace ztgate::resolver::transport
