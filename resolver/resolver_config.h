// The DNS half of ztgate-control's configuration: listeners, server TLS,
// upstreams, cache and policy. controlplane/control_config.h reads the whole
// file and hands these sections here.
//
//   listen:
//     dot: ["192.0.2.53:853", "[2001:db8::53]:853"]
//   tls:
//     certificate: /etc/ztgate/tls/server.crt
//     key: /etc/ztgate/tls/server.key
//     client_ca: /etc/ztgate/tls/client-ca.crt   # optional: enables mTLS
//     require_client_certificate: false
//   upstreams:                                    # DoT only; no default
//     - address: 198.51.100.53:853
//       tls_name: resolver.example               # verified against ca_file
//       ca_file: /etc/ztgate/tls/upstream-ca.crt
//       spki_pins: []                            # base64 SHA-256 (RFC 7858)
//   cache:
//     max_entries: 100000
//   policy:
//     mode: enforce                   # or audit
//     denied_rcode: refused           # or nxdomain
//     groups:
//       - name: engineering
//         clients: [198.18.1.0/24]
//         identities: ["spiffe://example.org/laptop-a"]
//         allow: ["*.corp.example", "updates.vendor.example"]
//         deny: []
//     default_group: {name: default, allow: []}
#ifndef ZTGATE_RESOLVER_RESOLVER_CONFIG_H_
#define ZTGATE_RESOLVER_RESOLVER_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/ip_address.h"
#include "common/yaml_reader.h"

namespace ztgate::resolver {

// An address and port, "192.0.2.1:853" or "[2001:db8::1]:853".
struct Endpoint {
  IpAddress address;
  uint16_t port = 0;
  std::string ToString() const;
};
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text);

struct ServerTlsConfig {
  std::string certificate_file;
  std::string key_file;
  std::string client_ca_file;  // Empty: no client certificates requested.
  bool require_client_certificate = false;
};

struct UpstreamConfig {
  Endpoint endpoint;
  std::string tls_name;  // SNI and the name verified in the certificate.
  std::string ca_file;   // Empty: the system CA store.
  std::vector<std::string> spki_pins;  // Base64 SHA-256 of the SPKI.
  absl::Duration timeout = absl::Seconds(2);
};

enum class PolicyMode { kEnforce, kAudit };
enum class DeniedRcode { kRefused, kNxdomain };

struct GroupConfig {
  std::string name;
  std::vector<IpPrefix> clients;
  std::vector<std::string> identities;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  std::optional<PolicyMode> mode;  // Unset: the global mode.
  int line = 0;  // Where the group starts, for later error messages.
};

struct PolicyConfig {
  PolicyMode mode = PolicyMode::kEnforce;
  DeniedRcode denied_rcode = DeniedRcode::kRefused;
  std::vector<GroupConfig> groups;
  std::optional<GroupConfig> default_group;
};

struct ResolverConfig {
  std::vector<Endpoint> dot_listeners;
  ServerTlsConfig tls;
  std::vector<UpstreamConfig> upstreams;
  uint32_t cache_max_entries = 100000;
  PolicyConfig policy;
};

// Reads the resolver's sections from the root map of the control config,
// leaving the other keys to the caller's Finish().
absl::Status ReadResolverConfig(YamlMap& root, ResolverConfig& config);

}  // namespace ztgate::resolver

#endif  // ZTGATE_RESOLVER_RESOLVER_CONFIG_H_
