// ztgate-dataplane's configuration file (default /etc/ztgate/dataplane.yaml).
//
//   table:
//     size: 1048576          # allow-table entries
//     idle_timeout: 300s     # an entry in use lives this long past its last packet
//     sweep_interval: 1s
//   mode: enforce            # or audit
//   exceptions: [192.0.2.53/32, 2001:db8:53::/48]
//   pass:
//     arp: true
//     ndp: true
//     dhcp: true
//     icmp_errors: true    # ICMP errors quoting an allowed pair
//     ethertypes: [0x88cc]   # further ethertypes to forward unchecked
//   api:
//     unix_socket: /run/ztgate/dataplane.sock
//   log_level: info
#ifndef ZTGATE_DATAPLANE_CONFIG_H_
#define ZTGATE_DATAPLANE_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_listener.h"
#include "common/ip_address.h"

namespace ztgate::dataplane {

inline constexpr std::string_view kDefaultConfigPath = "/etc/ztgate/dataplane.yaml";
inline constexpr std::string_view kDefaultApiSocket = "/run/ztgate/dataplane.sock";

enum class EnforcementMode { kEnforce, kAudit };

struct DataplaneConfig {
  uint32_t table_size = 1 << 20;
  absl::Duration idle_timeout = absl::Minutes(5);
  absl::Duration sweep_interval = absl::Seconds(1);
  EnforcementMode mode = EnforcementMode::kEnforce;
  std::vector<IpPrefix> exceptions;
  bool pass_arp = true;
  bool pass_ndp = true;
  bool pass_dhcp = true;
  bool pass_icmp_errors = true;
  std::vector<uint16_t> pass_ethertypes;
  GrpcListenerConfig api;
  std::string log_level = "info";
};

// Parses config text; `source` names it in errors.
absl::StatusOr<DataplaneConfig> ParseDataplaneConfig(std::string_view text,
                                                     std::string_view source);
absl::StatusOr<DataplaneConfig> LoadDataplaneConfig(const std::string& path);

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_CONFIG_H_
