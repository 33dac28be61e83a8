// The writer side of the allow table: turns FlowTable requests into table
// changes and reads, and sweeps dead entries. Every method runs on the
// control thread, the table's only writer (see control_thread.h); the gRPC
// handlers reach it through ControlThread::Call.
//
// Times are ticks of a clock: the TSC in the dataplane, a fake clock in
// tests. `now` returns the current tick, and `ticks_per_second` converts
// lifetimes and idle timeouts.
#ifndef ZTGATE_DATAPLANE_FLOW_STORE_H_
#define ZTGATE_DATAPLANE_FLOW_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/ip_address.h"
#include "dataplane/allow_table.h"
#include "dataplane/name_table.h"
#include "ztgate/v1/flowtable.pb.h"

namespace ztgate::dataplane {

// Converts 4 or 16 proto bytes to the table's 16-byte form. A 16-byte
// IPv4-mapped address is rejected: IPv4 travels as 4 bytes.
absl::StatusOr<Address16> AddressFromProto(const std::string& bytes, bool* is_v4);
// Converts back: 4 bytes for IPv4-mapped addresses, 16 otherwise.
std::string AddressToProto(const Address16& address);
absl::StatusOr<std::vector<IpPrefix>> PrefixesFromProto(
    const google::protobuf::RepeatedPtrField<ztgate::v1::Prefix>& prefixes);
bool PrefixesContain(const std::vector<IpPrefix>& prefixes, const Address16& address);

class FlowStore {
 public:
  using Clock = std::function<uint64_t()>;

  FlowStore(AllowTable& table, Clock now, uint64_t ticks_per_second);

  // Installs or refreshes each valid flow of `request`; invalid flows and
  // flows that do not fit get a FlowError, and the others are installed.
  // On return every installed entry is visible to every worker.
  ztgate::v1::InstallFlowsResponse Install(const ztgate::v1::InstallFlowsRequest& request);
  // Removes by key and by client prefix; returns the count removed.
  absl::StatusOr<uint32_t> Remove(const ztgate::v1::RemoveFlowsRequest& request);
  // Appends up to `page_size` live flows whose client is in `clients`, or
  // any client when `clients` is empty, continuing from `*cursor`. Returns
  // true when the walk has reached the end of the table.
  // NOTE: flows installed or removed between two pages of one listing can
  // be listed twice or missed, because the walk follows hash positions.
  bool ListPage(const std::vector<IpPrefix>& clients, uint32_t* cursor, size_t page_size,
                ztgate::v1::ListFlowsResponse& page);
  // Removes dead entries among the next `max_visits` from `*cursor`;
  // returns the count removed. A whole pass ends with `*cursor` at 0.
  size_t SweepStep(uint32_t* cursor, size_t max_visits);

  uint64_t install_rejected_full() const { return rejected_full_.load(std::memory_order_relaxed); }
  uint64_t swept() const { return swept_.load(std::memory_order_relaxed); }
  const NameTable& names() const { return names_; }
  AllowTable& table() { return table_; }
  const AllowTable& table() const { return table_; }
  uint64_t Now() const { return now_(); }
  uint64_t TicksFor(absl::Duration duration) const;

 private:
  absl::Time WallTimeOf(uint64_t ticks, uint64_t now_ticks, absl::Time now_wall) const;

  AllowTable& table_;
  Clock now_;
  uint64_t ticks_per_second_;
  NameTable names_;
  std::atomic<uint64_t> rejected_full_{0};
  std::atomic<uint64_t> swept_{0};
};

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_FLOW_STORE_H_
