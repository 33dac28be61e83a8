// DPDK port set-up for the two sides of the bridge.
#ifndef ZTGATE_DATAPLANE_PORTS_H_
#define ZTGATE_DATAPLANE_PORTS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <rte_mempool.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ztgate::dataplane {

// Finds a port by device name ("net_ring0", "0000:03:00.0") or by number.
absl::StatusOr<uint16_t> ResolvePort(std::string_view name_or_id);

// Configures and starts `port` with `queues` receive and transmit queues,
// promiscuous, so it bridges frames for any MAC address. Enables RSS over IP
// addresses when there is more than one queue and the device supports it.
absl::Status StartPort(uint16_t port, uint16_t queues, rte_mempool* pool);

// Stops and closes a started port; errors are logged, not returned.
void StopPort(uint16_t port);

std::string PortName(uint16_t port);

// Turns a negative DPDK return value into a status naming `what`.
absl::Status DpdkError(int error, std::string_view what);

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_PORTS_H_
