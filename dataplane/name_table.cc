// Interned domain names; see name_table.h.
#include "dataplane/name_table.h"

namespace ztgate::dataplane {

uint32_t NameTable::Acquire(const std::string& name) {
  if (name.empty()) return 0;
  auto it = ids_.find(name);
  if (it != ids_.end()) {
    ++references_[it->second];
    return it->second;
  }
  uint32_t id = 0;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
    names_[id] = name;
    references_[id] = 1;
  } else {
    id = static_cast<uint32_t>(names_.size());
    names_.push_back(name);
    references_.push_back(1);
  }
  ids_.emplace(name, id);
  return id;
}

void NameTable::Release(uint32_t id) {
  if (id == 0 || id >= references_.size() || references_[id] == 0) return;
  if (--references_[id] > 0) return;
  ids_.erase(names_[id]);
  names_[id].clear();
  names_[id].shrink_to_fit();
  free_ids_.push_back(id);
}

}  // namespace ztgate::dataplane
