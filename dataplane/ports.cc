// DPDK port set-up; see ports.h.
#include "dataplane/ports.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <spdlog/spdlog.h>

#include "common/parse_number.h"
#include "common/str_cat.h"

namespace ztgate::dataplane {
namespace {

// Descriptor ring sizes. 1024 absorbs a few bursts of jitter per queue while
// keeping the --no-huge mempool small.
constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;

}  // namespace

absl::Status DpdkError(int error, std::string_view what) {
  const int code = error < 0 ? -error : error;
  return absl::InternalError(StrCat(what, " failed: ", rte_strerror(code)));
}

absl::StatusOr<uint16_t> ResolvePort(std::string_view name_or_id) {
  uint16_t port = 0;
  if (rte_eth_dev_get_port_by_name(std::string(name_or_id).c_str(), &port) == 0) return port;
  uint32_t number = 0;
  if (ParseDecimal(name_or_id, &number) && number < RTE_MAX_ETHPORTS &&
      rte_eth_dev_is_valid_port(static_cast<uint16_t>(number))) {
    return static_cast<uint16_t>(number);
  }
  return absl::NotFoundError(StrCat("port \"", name_or_id, "\" not found; ",
                                          rte_eth_dev_count_avail(),
                                          " ports are available (check the EAL --vdev "
                                          "or PCI arguments)"));
}

std::string PortName(uint16_t port) {
  char name[RTE_ETH_NAME_MAX_LEN] = {};
  if (rte_eth_dev_get_name_by_port(port, name) != 0) return StrCat("port", port);
  return name;
}

absl::Status StartPort(uint16_t port, uint16_t queues, rte_mempool* pool) {
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0) {
    return DpdkError(rc, StrCat("rte_eth_dev_info_get(", PortName(port), ")"));
  }
  rte_eth_conf conf{};
  const uint64_t rss_hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP);
  if (queues > 1 && rss_hf != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
  }
  if (int rc = rte_eth_dev_configure(port, queues, queues, &conf); rc != 0) {
    return DpdkError(rc, StrCat("rte_eth_dev_configure(", PortName(port), ")"));
  }
  uint16_t rx_descriptors = kRxDescriptors;
  uint16_t tx_descriptors = kTxDescriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_descriptors, &tx_descriptors);
  const int socket = rte_eth_dev_socket_id(port);
  for (uint16_t queue = 0; queue < queues; ++queue) {
    if (int rc = rte_eth_rx_queue_setup(port, queue, rx_descriptors, socket, nullptr, pool);
        rc != 0) {
      return DpdkError(rc, StrCat("rx queue set-up on ", PortName(port)));
    }
    if (int rc = rte_eth_tx_queue_setup(port, queue, tx_descriptors, socket, nullptr); rc != 0) {
      return DpdkError(rc, StrCat("tx queue set-up on ", PortName(port)));
    }
  }
  if (int rc = rte_eth_dev_start(port); rc != 0) {
    return DpdkError(rc, StrCat("rte_eth_dev_start(", PortName(port), ")"));
  }
  // Some virtual devices cannot be promiscuous; they pass every frame anyway.
  if (int rc = rte_eth_promiscuous_enable(port); rc != 0 && rc != -ENOTSUP) {
    spdlog::warn("port {}: cannot enable promiscuous mode: {}", PortName(port), rte_strerror(-rc));
  }
  spdlog::info("port {} ({}) started with {} queue(s)", port, PortName(port), queues);
  return absl::OkStatus();
}

void StopPort(uint16_t port) {
  if (int rc = rte_eth_dev_stop(port); rc != 0) {
    spdlog::warn("port {}: stop failed: {}", PortName(port), rte_strerror(-rc));
  }
  rte_eth_dev_close(port);
}

}  // namespace ztgate::dataplane
