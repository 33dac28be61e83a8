// Exception subnets: remote addresses that pass without a flow (DNS servers,
// DHCP relays, update servers). IPv4 prefixes live in an rte_lpm and IPv6
// prefixes in an rte_lpm6. SetExceptions replaces the whole list at once:
// the control thread builds a new pair of tables, publishes it with one
// atomic pointer store, waits for the workers' RCU QSBR quiescence, and only
// then frees the old pair. A worker loads the pointer once per burst, so a
// burst sees either the old list or the new one, never a mixture. The same
// classes hold the audit client list (SetAuditClients), whose prefixes
// match client addresses instead of remote ones.
#ifndef ZTGATE_DATAPLANE_EXCEPTIONS_H_
#define ZTGATE_DATAPLANE_EXCEPTIONS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_rcu_qsbr.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ip_address.h"
#include "dataplane/packet_parser.h"

namespace ztgate::dataplane {

// One immutable generation of the exception list.
class ExceptionSet {
 public:
  static absl::StatusOr<std::unique_ptr<ExceptionSet>> Create(
      const std::vector<IpPrefix>& prefixes, int socket_id);
  ~ExceptionSet();
  ExceptionSet(const ExceptionSet&) = delete;
  ExceptionSet& operator=(const ExceptionSet&) = delete;

  // True when `address` (16-byte form) is in one of the prefixes.
  bool Contains(const Address16& address, bool is_v4) const {
    uint32_t next_hop = 0;
    if (is_v4) {
      if (lpm_v4_ == nullptr) return false;
      const uint8_t* b = address.bytes + 12;
      const uint32_t ip = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
      return rte_lpm_lookup(lpm_v4_, ip, &next_hop) == 0;
    }
    return lpm_v6_ != nullptr && rte_lpm6_lookup(lpm_v6_, address.bytes, &next_hop) == 0;
  }
  size_t size() const { return prefixes_.size(); }
  const std::vector<IpPrefix>& prefixes() const { return prefixes_; }

 private:
  ExceptionSet() = default;

  rte_lpm* lpm_v4_ = nullptr;
  rte_lpm6* lpm_v6_ = nullptr;
  std::vector<IpPrefix> prefixes_;
};

class Exceptions {
 public:
  Exceptions(rte_rcu_qsbr* qsbr, int socket_id) : qsbr_(qsbr), socket_id_(socket_id) {}
  ~Exceptions();

  // Replaces the list; call from the control thread only. On error the old
  // list stays in force.
  absl::Status Replace(const std::vector<IpPrefix>& prefixes);

  // The current generation; valid until the caller's next quiescent state.
  const ExceptionSet* Current() const { return current_.load(std::memory_order_acquire); }

  // Largest list SetExceptions accepts. Each prefix costs an LPM rule; the
  // tables are sized for this many rules per family when created.
  static constexpr size_t kMaxPrefixes = 65536;

 private:
  rte_rcu_qsbr* qsbr_;
  int socket_id_;
  std::atomic<ExceptionSet*> current_{nullptr};
};

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_EXCEPTIONS_H_
