// The rate-limited error log of a TlsServer; see tls_server_state.h.
#include "resolver/transport/tls_server_state.h"

#include <spdlog/spdlog.h>

namespace ztgate::resolver::transport {

void TlsServerState::LogError(std::string_view what, std::string_view peer,
                              std::string_view error) {
  uint64_t suppressed = 0;
  if (!error_log_limiter.Allow(suppressed)) return;
  if (suppressed > 0) {
    spdlog::warn("{}: {} for {}: {} ({} similar errors not logged)", name(), what, peer, error,
                 suppressed);
  } else {
    spdlog::warn("{}: {} for {}: {}", name(), what, peer, error);
  }
}

}  // namespace ztgate::resolver::transport
