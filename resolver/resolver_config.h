// The DNS half of ztgate-control's configuration: listeners, server TLS,
// upstreams, cache and policy. controlplane/control_config.h reads the whole
// file and hands these sections here.
//
//   listen:                             # at least one DoT or DoH address
//     dot: ["192.0.2.53:853", "[2001:db8::53]"]   # port 853 when omitted
//     doh: ["192.0.2.53:443", "[2001:db8::53]"]   # port 443 when omitted
//     doh_path: /dns-query              # the only path that accepts queries
//     max_header_bytes: 8192            # DoH request line and headers
//     idle_timeout: 30s                 # close a connection idle this long
//     max_connections: 10000            # per protocol; more are rejected
//     max_connections_per_client: 64    # per client address and protocol
//     max_queries_per_connection: 128   # in flight (HTTP/2: streams)
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
//       timeout: 2s                              # per query and attempt
//       connections: 2                           # persistent TLS connections
//   upstream_pool:
//     attempts: 3            # upstreams tried per query, in turn
//     max_failures: 3        # consecutive failures that mark an upstream down
//     down_time: 5s          # then one probe query may try it again
//     max_backoff: 10s       # reconnect backoff doubles from 100ms up to this
//   cache:
//     max_entries: 100000
//     max_bytes: 67108864             # octets of stored answers, estimated
//     max_ttl: 24h                    # longest time an answer is served
//     max_negative_ttl: 1h            # same for NXDOMAIN and NODATA
//   policy:
//     mode: enforce                   # or audit
//     denied_rcode: refused           # or nxdomain
//     cname_rule: query_name          # or no_denied_target, every_name
//     groups:
//       - name: engineering
//         clients: [198.18.1.0/24]
//         identities: ["spiffe://example.org/laptop-a"]
//         allow: ["*.corp.example", "updates.vendor.example"]  # Unicode allowed
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
// With a `default_port`, an address alone ("192.0.2.1", "2001:db8::1" or
// "[2001:db8::1]") is accepted and gets that port.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text, uint16_t default_port = 0);

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
  uint32_t connections = 2;  // Persistent TLS connections to this upstream.
};

// Limits of the client-facing listeners. The DoT and the DoH server each
// apply them on their own.
struct ListenerLimits {
  absl::Duration idle_timeout = absl::Seconds(30);
  uint32_t max_connections = 10000;
  uint32_t max_connections_per_client = 64;
  uint32_t max_queries_per_connection = 128;
};

// DNS over HTTPS settings (RFC 8484).
struct DohOptions {
  std::string path = "/dns-query";
  // Bytes of the request line (HTTP/2: the pseudo-headers) and header
  // fields of one request. Larger requests get 431, or 414 when the
  // request target alone is too long.
  uint32_t max_header_bytes = 8192;
};

// Retry and health-tracking settings of the upstream pool.
struct UpstreamPoolConfig {
  uint32_t attempts = 3;
  uint32_t max_failures = 3;
  absl::Duration down_time = absl::Seconds(5);
  absl::Duration max_backoff = absl::Seconds(10);
};

enum class PolicyMode { kEnforce, kAudit };
enum class DeniedRcode { kRefused, kNxdomain };
// Rule for judging the names an answer's CNAME/DNAME chain leads to. The
// same rule applies to cached and fresh answers (resolver/policy/policy.h).
enum class CnameRule {
  kQueryName,       // The query name alone decides (the default).
  kNoDeniedTarget,  // The query name decides, and no chain name may be denied.
  kEveryName,       // Every name of the chain must be allowed.
};

struct GroupConfig {
  std::string name;
  std::vector<IpPrefix> clients;
  std::vector<std::string> identities;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  // Line of each allow and deny pattern in the file; empty when the group
  // was not read from YAML.
  std::vector<int> allow_lines;
  std::vector<int> deny_lines;
  std::optional<PolicyMode> mode;  // Unset: the global mode.
  int line = 0;  // Where the group starts, for later error messages.
};

struct PolicyConfig {
  PolicyMode mode = PolicyMode::kEnforce;
  DeniedRcode denied_rcode = DeniedRcode::kRefused;
  CnameRule cname_rule = CnameRule::kQueryName;
  std::vector<GroupConfig> groups;
  std::optional<GroupConfig> default_group;
};

struct ResolverConfig {
  std::vector<Endpoint> dot_listeners;
  std::vector<Endpoint> doh_listeners;
  ListenerLimits listener_limits;
  DohOptions doh;
  ServerTlsConfig tls;
  std::vector<UpstreamConfig> upstreams;
  UpstreamPoolConfig upstream_pool;
  uint32_t cache_max_entries = 100000;
  uint64_t cache_max_bytes = uint64_t{64} << 20;
  absl::Duration cache_max_ttl = absl::Hours(24);
  absl::Duration cache_max_negative_ttl = absl::Hours(1);
  PolicyConfig policy;
};

// Reads the resolver's sections from the root map of the control config,
// leaving the other keys to the caller's Finish().
absl::Status ReadResolverConfig(YamlMap& root, ResolverConfig& config);

}  // namespace ztgate::resolver

#endif  // ZTGATE_RESOLVER_RESOLVER_CONFIG_H_
