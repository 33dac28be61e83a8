// Pattern sets; see name_set.h.
#include "resolver/policy/name_set.h"

#include <string_view>

#include "common/str_cat.h"

namespace ztgate::resolver::policy {

void NameSet::Add(const Pattern& pattern) {
  if (pattern.wildcard) {
    wildcard_parents_.insert(std::string(pattern.name.canonical()));
  } else {
    exact_.insert(std::string(pattern.name.canonical()));
  }
}

bool NameSet::Contains(const dns::Name& name) const {
  const std::string_view canonical = name.canonical();
  if (exact_.contains(ToAbsl(canonical))) return true;
  if (wildcard_parents_.empty()) return false;
  // Each proper suffix in turn, down to the root: "\3www\7example\3com\0"
  // probes "\7example\3com\0", "\3com\0" and "\0".
  size_t offset = 0;
  while (canonical[offset] != 0) {
    offset += 1 + static_cast<uint8_t>(canonical[offset]);
    if (wildcard_parents_.contains(ToAbsl(canonical.substr(offset)))) return true;
  }
  return false;
}

}  // namespace ztgate::resolver::policy
