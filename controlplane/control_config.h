// ztgate-control's configuration file (default /etc/ztgate/control.yaml):
// the resolver's sections (see resolver/resolver_config.h) plus
//
//   dataplanes:                 # none: a protective DNS server only
//     - target: unix:/run/ztgate/dataplane.sock
//       clients: [198.18.0.0/15]  # clients it enforces for; default all
//   install:
//     ack_timeout: 100ms        # SERVFAIL when a dataplane is slower
//     lifetime_floor: 30s
//     grace: 5s
//     batch_max_flows: 1000
//     hints: install            # SVCB/HTTPS address hints: install or strip
//   decision_log:
//     json_file: /var/log/ztgate/decisions.jsonl   # optional
//     dnstap_file: /var/log/ztgate/decisions.dnstap # optional, truncated at start
//   api:
//     unix_socket: /run/ztgate/control.sock
//   log_level: info
#ifndef ZTGATE_CONTROLPLANE_CONTROL_CONFIG_H_
#define ZTGATE_CONTROLPLANE_CONTROL_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_listener.h"
#include "resolver/resolver_config.h"

namespace ztgate::controlplane {

inline constexpr std::string_view kDefaultConfigPath = "/etc/ztgate/control.yaml";
inline constexpr std::string_view kDefaultApiSocket = "/run/ztgate/control.sock";

struct DataplaneTarget {
  std::string target;  // gRPC target: "unix:/path" or "host:port" (mTLS).
  std::string tls_certificate_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  std::vector<IpPrefix> clients;  // Empty: every client.
};

struct InstallConfig {
  absl::Duration ack_timeout = absl::Milliseconds(100);
  absl::Duration lifetime_floor = absl::Seconds(30);
  absl::Duration grace = absl::Seconds(5);
  // Largest InstallFlows batch; one answer's flows are never split.
  uint32_t batch_max_flows = 1000;
  // Remove SVCB/HTTPS ipv4hint and ipv6hint from answers instead of
  // installing their addresses.
  bool strip_hints = false;
};

struct DecisionLogConfig {
  std::string json_file;    // Empty: no JSON-lines log.
  std::string dnstap_file;  // Empty: no dnstap log.
};

struct ControlConfig {
  resolver::ResolverConfig resolver;
  std::vector<DataplaneTarget> dataplanes;
  InstallConfig install;
  DecisionLogConfig decision_log;
  GrpcListenerConfig api;
  std::string log_level = "info";
};

absl::StatusOr<ControlConfig> ParseControlConfig(std::string_view text, std::string_view source);
absl::StatusOr<ControlConfig> LoadControlConfig(const std::string& path);

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_CONTROL_CONFIG_H_
