// The allow table; see allow_table.h.
#include "dataplane/allow_table.h"

#include <new>
#include <utility>
#include <vector>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "common/str_cat.h"

namespace ztgate::dataplane {
namespace {

size_t HeapBytesInUse(int socket_id) {
  rte_malloc_socket_stats stats{};
  if (rte_malloc_get_socket_stats(socket_id, &stats) != 0) return 0;
  return stats.heap_allocsz_bytes;
}

void* IndexToData(uint32_t index) { return reinterpret_cast<void*>(uintptr_t{index}); }
uint32_t DataToIndex(void* data) { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data)); }

}  // namespace

absl::StatusOr<std::unique_ptr<AllowTable>> AllowTable::Create(const Options& options,
                                                               rte_rcu_qsbr* qsbr) {
  const size_t heap_before = HeapBytesInUse(options.socket_id);
  rte_hash_parameters parameters{};
  parameters.name = options.name.c_str();
  parameters.entries = options.capacity;
  parameters.key_len = sizeof(FlowKey);
  parameters.hash_func = rte_hash_crc;
  parameters.hash_func_init_val = 0;
  parameters.socket_id = options.socket_id;
  // The extendable bucket table lets every one of `capacity` keys in even
  // when cuckoo displacement fails at high load, so the table is full only
  // at its configured size.
  parameters.extra_flag =
      RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  rte_hash* hash = rte_hash_create(&parameters);
  if (hash == nullptr) {
    return absl::ResourceExhaustedError(StrCat("cannot create the allow table of ",
                                               options.capacity, " entries: ",
                                               rte_strerror(rte_errno),
                                               " (give the EAL more memory with -m)"));
  }
  auto* entries = static_cast<FlowEntry*>(rte_zmalloc_socket(
      "ztgate_flow_entries", sizeof(FlowEntry) * options.capacity, 64, options.socket_id));
  auto* name_ids = static_cast<uint32_t*>(rte_zmalloc_socket(
      "ztgate_flow_names", sizeof(uint32_t) * options.capacity, 64, options.socket_id));
  if (entries == nullptr || name_ids == nullptr) {
    rte_free(entries);
    rte_free(name_ids);
    rte_hash_free(hash);
    return absl::ResourceExhaustedError(StrCat("cannot allocate ", options.capacity,
                                               " flow entries (give the EAL more memory with -m)"));
  }
  for (uint32_t i = 0; i < options.capacity; ++i) new (&entries[i]) FlowEntry();
  std::unique_ptr<AllowTable> table(
      new AllowTable(hash, entries, name_ids, options.capacity, options.idle_ticks, qsbr));
  table->memory_bytes_ = HeapBytesInUse(options.socket_id) - heap_before +
                         table->free_entries_.capacity() * sizeof(uint32_t);
  return table;
}

AllowTable::AllowTable(rte_hash* hash, FlowEntry* entries, uint32_t* name_ids,
                       uint32_t capacity, uint64_t idle_ticks, rte_rcu_qsbr* qsbr)
    : hash_(hash),
      entries_(entries),
      name_ids_(name_ids),
      capacity_(capacity),
      idle_ticks_(idle_ticks),
      qsbr_(qsbr) {
  free_entries_.reserve(capacity);
  // Hand out low indexes first, so a small table touches little memory.
  for (uint32_t i = capacity; i > 0; --i) free_entries_.push_back(i - 1);
}

AllowTable::~AllowTable() {
  rte_hash_free(hash_);
  rte_free(entries_);
  rte_free(name_ids_);
}

AllowTable::InstallResult AllowTable::Install(const FlowKey& key, uint64_t deadline,
                                              uint32_t name_id, uint32_t* replaced_name_id) {
  void* data = nullptr;
  if (rte_hash_lookup_data(hash_, &key, &data) >= 0) {
    FlowEntry& entry = entries_[DataToIndex(data)];
    if (deadline > entry.deadline.load(std::memory_order_relaxed)) {
      entry.deadline.store(deadline, std::memory_order_relaxed);
    }
    uint32_t& label = name_ids_[DataToIndex(data)];
    *replaced_name_id = label;
    label = name_id;
    return InstallResult::kRefreshed;
  }
  if (free_entries_.empty() && !pending_entries_.empty()) Reclaim();
  if (free_entries_.empty()) return InstallResult::kFull;

  const uint32_t index = free_entries_.back();
  FlowEntry& entry = entries_[index];
  entry.deadline.store(deadline, std::memory_order_relaxed);
  entry.last_seen.store(0, std::memory_order_relaxed);
  entry.packets.store(0, std::memory_order_relaxed);
  entry.bytes.store(0, std::memory_order_relaxed);
  name_ids_[index] = name_id;
  // rte_hash_add_key_data publishes the key with a release store, so a
  // reader that finds the key also sees the entry written above.
  if (rte_hash_add_key_data(hash_, &key, IndexToData(index)) < 0) return InstallResult::kFull;
  free_entries_.pop_back();
  size_.store(size_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return InstallResult::kInstalled;
}

void AllowTable::DeleteAt(const FlowKey& key, uint32_t entry_index) {
  const int32_t position = rte_hash_del_key(hash_, &key);
  if (position < 0) return;
  pending_positions_.push_back(position);
  pending_entries_.push_back(entry_index);
  size_.store(size_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

bool AllowTable::Remove(const FlowKey& key, uint32_t* name_id) {
  void* data = nullptr;
  if (rte_hash_lookup_data(hash_, &key, &data) < 0) return false;
  const uint32_t index = DataToIndex(data);
  *name_id = name_ids_[index];
  DeleteAt(key, index);
  return true;
}

size_t AllowTable::RemoveWhere(uint32_t* cursor, size_t max_visits,
                               const std::function<bool(const FlowKey&, const FlowEntry&)>& remove,
                               const std::function<void(uint32_t name_id)>& on_removed) {
  // Deleting a key can move another key of the same bucket chain into its
  // slot, so deleting while iterating could skip keys. Collect first.
  std::vector<std::pair<FlowKey, uint32_t>> doomed;
  for (size_t visits = 0; visits < max_visits; ++visits) {
    const void* key = nullptr;
    void* data = nullptr;
    if (rte_hash_iterate(hash_, &key, &data, cursor) < 0) {
      *cursor = 0;
      break;
    }
    const uint32_t index = DataToIndex(data);
    const auto& flow_key = *static_cast<const FlowKey*>(key);
    if (remove(flow_key, entries_[index])) doomed.emplace_back(flow_key, index);
  }
  for (const auto& [key, index] : doomed) {
    on_removed(name_ids_[index]);
    DeleteAt(key, index);
  }
  return doomed.size();
}

void AllowTable::Visit(uint32_t* cursor, size_t max_visits,
                       const std::function<void(const FlowKey&, const FlowEntry&)>& visit) const {
  for (size_t visits = 0; visits < max_visits; ++visits) {
    const void* key = nullptr;
    void* data = nullptr;
    if (rte_hash_iterate(hash_, &key, &data, cursor) < 0) {
      *cursor = 0;
      return;
    }
    visit(*static_cast<const FlowKey*>(key), entries_[DataToIndex(data)]);
  }
}

void AllowTable::Reclaim() {
  if (pending_positions_.empty()) return;
  // Every worker reports quiescence between bursts, so this waits at most
  // about one burst's processing time per worker.
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  for (int32_t position : pending_positions_) rte_hash_free_key_with_position(hash_, position);
  free_entries_.insert(free_entries_.end(), pending_entries_.begin(), pending_entries_.end());
  pending_positions_.clear();
  pending_entries_.clear();
}

void AllowTable::LookupBulk(const FlowKey** keys, unsigned count, FlowEntry** entries) const {
  void* data[kMaxBulk];
  uint64_t hits = 0;
  rte_hash_lookup_bulk_data(hash_, reinterpret_cast<const void**>(keys), count, &hits, data);
  for (unsigned i = 0; i < count; ++i) {
    if (((hits >> i) & 1) == 0) {
      entries[i] = nullptr;
      continue;
    }
    FlowEntry* entry = &entries_[DataToIndex(data[i])];
    entries[i] = entry;
    // The caller reads and updates every entry found; start the loads now
    // so that the burst's cache misses overlap.
    rte_prefetch0(entry);
  }
}

FlowEntry* AllowTable::Lookup(const FlowKey& key) const {
  void* data = nullptr;
  if (rte_hash_lookup_data(hash_, &key, &data) < 0) return nullptr;
  return &entries_[DataToIndex(data)];
}

}  // namespace ztgate::dataplane
