// A set of name patterns whose lookup cost does not grow with the number of
// patterns. Exact names and wildcard parents are two hash sets of canonical
// wire names. A lookup probes the query name, then each of its proper
// suffixes once: label-count + 1 hash probes.
// bench/resolver measures it with 100,000 patterns (docs/BENCHMARKS.md).
#ifndef ZTGATE_RESOLVER_POLICY_NAME_SET_H_
#define ZTGATE_RESOLVER_POLICY_NAME_SET_H_

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "resolver/dns/name.h"
#include "resolver/policy/pattern.h"

namespace ztgate::resolver::policy {

class NameSet {
 public:
  void Add(const Pattern& pattern);
  // True when an exact pattern equals `name` or a wildcard pattern's parent
  // is a proper ancestor of `name`. Letter case does not matter.
  bool Contains(const dns::Name& name) const;
  size_t size() const { return exact_.size() + wildcard_parents_.size(); }

 private:
  absl::flat_hash_set<std::string> exact_;
  absl::flat_hash_set<std::string> wildcard_parents_;
};

}  // namespace ztgate::resolver::policy

#endif  // ZTGATE_RESOLVER_POLICY_NAME_SET_H_
