// Domain names that label allow-table entries, interned to 32-bit ids so an
// entry stores 4 bytes instead of a string. Each id counts the entries that
// carry it and is freed with the last one. Id 0 is the empty name and is
// never counted. Used by the control thread only.
#ifndef ZTGATE_DATAPLANE_NAME_TABLE_H_
#define ZTGATE_DATAPLANE_NAME_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace ztgate::dataplane {

class NameTable {
 public:
  NameTable() : names_(1), references_(1, 0) {}

  // Returns the id of `name` and counts one more reference to it.
  uint32_t Acquire(const std::string& name);
  // Counts one more reference to an id that Acquire returned and that is
  // still referenced.
  void AddReference(uint32_t id) {
    if (id != 0) ++references_[id];
  }
  // Drops one reference to `id`.
  void Release(uint32_t id);
  const std::string& Name(uint32_t id) const { return names_[id]; }
  // Names with at least one reference.
  size_t size() const { return ids_.size(); }

 private:
  std::vector<std::string> names_;
  std::vector<uint64_t> references_;
  std::vector<uint32_t> free_ids_;
  absl::flat_hash_map<std::string, uint32_t> ids_;
};

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_NAME_TABLE_H_
