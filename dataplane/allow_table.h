// The allow table: one table for all clients, keyed by (client, remote
// address) in the 16-byte form of common/ip_address.h.
//
// Contract. An entry lets the pair exchange packets while it is alive: until
// its deadline, or, once a packet has matched it, until idle_timeout after
// the last matching packet, whichever is later. Installing an existing key
// extends the deadline and never shortens it. A full table rejects new keys
// (kFull) and never evicts a live entry.
//
// Concurrency. The control thread is the only writer; worker lcores read
// without locks. The rte_hash is created with
// RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF, so a lookup never blocks and never
// sees a half-written key. Each key's data is the index of its FlowEntry in a
// separate array; the writer fills the entry before it adds the key, so a
// reader that finds a key finds its entry complete. A deleted key's slot and
// entry are reused only after every registered worker has passed a quiescent
// state (RCU QSBR, reported once per burst), so a reader that found the key
// just before the delete still reads its own entry. Workers update
// last_seen and the counters with relaxed stores; when two workers match one
// entry at the same instant, one increment can be lost, which only affects
// the statistics.
//
// Costs. Memory per flow, all-in (hash buckets, key store, free rings and
// the entry array), is measured by memory_bytes() and recorded in
// docs/BENCHMARKS.md. Lookups go through rte_hash_lookup_bulk_data, one call
// per burst.
#ifndef ZTGATE_DATAPLANE_ALLOW_TABLE_H_
#define ZTGATE_DATAPLANE_ALLOW_TABLE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "absl/status/statusor.h"
#include "dataplane/packet_parser.h"

namespace ztgate::dataplane {

struct FlowKey {
  Address16 client;
  Address16 remote;
};
static_assert(sizeof(FlowKey) == 32, "the rte_hash key length is the packed pair");

// Times are in ticks of the table's clock: the TSC in the dataplane, a fake
// counter in tests. An entry is 32 bytes and 32-byte aligned, so a worker's
// lookup touches one cache line of the entry array. The entry's name label,
// which only table writers read, is kept in a parallel array.
struct alignas(32) FlowEntry {
  std::atomic<uint64_t> deadline{0};
  std::atomic<uint64_t> last_seen{0};  // 0 until a packet matches.
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> bytes{0};

  // True while the entry lets packets through at `now`.
  bool IsAlive(uint64_t now, uint64_t idle_ticks) const {
    const uint64_t seen = last_seen.load(std::memory_order_relaxed);
    return now < deadline.load(std::memory_order_relaxed) ||
           (seen != 0 && now < seen + idle_ticks);
  }

  // Records a matching packet. Only the lcore that matched calls this.
  void Touch(uint64_t now, uint32_t length) {
    last_seen.store(now, std::memory_order_relaxed);
    packets.store(packets.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    bytes.store(bytes.load(std::memory_order_relaxed) + length, std::memory_order_relaxed);
  }
};
static_assert(sizeof(FlowEntry) == 32, "an entry fills half a cache line");

class AllowTable {
 public:
  struct Options {
    std::string name = "ztgate_flows";  // Unique per process (an rte_hash name).
    uint32_t capacity = 1 << 20;
    uint64_t idle_ticks = 0;
    int socket_id = 0;
  };

  enum class InstallResult { kInstalled, kRefreshed, kFull };

  // `qsbr` is the domain the workers report to; it outlives the table.
  static absl::StatusOr<std::unique_ptr<AllowTable>> Create(const Options& options,
                                                            rte_rcu_qsbr* qsbr);
  ~AllowTable();
  AllowTable(const AllowTable&) = delete;
  AllowTable& operator=(const AllowTable&) = delete;

  // Writer side: call from the control thread only.

  // Installs `key` alive until `deadline`, or extends an existing entry's
  // deadline to `deadline` if that is later. `name_id` labels the entry;
  // `replaced_name_id` receives the previous label on a refresh.
  InstallResult Install(const FlowKey& key, uint64_t deadline, uint32_t name_id,
                        uint32_t* replaced_name_id);
  // Removes one key; returns false when absent. `name_id` receives its label.
  bool Remove(const FlowKey& key, uint32_t* name_id);
  // Visits up to `max_visits` entries from `*cursor` (0 starts a pass) and
  // removes those for which `remove` returns true, calling `on_removed` with
  // each removed entry's label. Sets `*cursor` to 0 when the pass ends.
  // Removals in one call can move keys that a later call with the same
  // cursor then skips; a later pass finds them.
  size_t RemoveWhere(uint32_t* cursor, size_t max_visits,
                     const std::function<bool(const FlowKey&, const FlowEntry&)>& remove,
                     const std::function<void(uint32_t name_id)>& on_removed);
  // Visits up to `max_visits` entries from `*cursor`, like RemoveWhere.
  void Visit(uint32_t* cursor, size_t max_visits,
             const std::function<void(const FlowKey&, const FlowEntry&)>& visit) const;
  // The name label of an entry that Visit or RemoveWhere handed out.
  uint32_t NameId(const FlowEntry& entry) const { return name_ids_[&entry - entries_]; }
  // Waits until no worker can still hold a removed entry, then frees the
  // removed keys and entries for reuse. Called after each batch of removals.
  void Reclaim();
  // Waits until every worker has finished the burst it was in, so changes
  // made before the call are seen by every later lookup.
  void WaitForReaders() const { rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID); }

  // Reader side: any thread.

  // Looks up `count` keys (at most kMaxBulk); entries[i] is null on a miss.
  void LookupBulk(const FlowKey** keys, unsigned count, FlowEntry** entries) const;
  FlowEntry* Lookup(const FlowKey& key) const;

  static constexpr unsigned kMaxBulk = RTE_HASH_LOOKUP_BULK_MAX;

  uint32_t size() const { return size_.load(std::memory_order_relaxed); }
  uint32_t capacity() const { return capacity_; }
  uint64_t idle_ticks() const { return idle_ticks_; }
  // Bytes of DPDK memory the table holds, measured at creation.
  size_t memory_bytes() const { return memory_bytes_; }

 private:
  AllowTable(rte_hash* hash, FlowEntry* entries, uint32_t* name_ids, uint32_t capacity,
             uint64_t idle_ticks, rte_rcu_qsbr* qsbr);
  void DeleteAt(const FlowKey& key, uint32_t entry_index);

  rte_hash* hash_;
  FlowEntry* entries_;
  uint32_t* name_ids_;  // Parallel to entries_.
  const uint32_t capacity_;
  const uint64_t idle_ticks_;
  rte_rcu_qsbr* qsbr_;
  size_t memory_bytes_ = 0;
  std::atomic<uint32_t> size_{0};
  std::vector<uint32_t> free_entries_;
  // Key positions and entry indexes removed but not yet reclaimed.
  std::vector<int32_t> pending_positions_;
  std::vector<uint32_t> pending_entries_;
};

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_ALLOW_TABLE_H_
