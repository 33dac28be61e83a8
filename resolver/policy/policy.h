// The per-client name policy: which group a client belongs to, and whether
// the group may resolve a name.
//
// Design note.
// - Groups are tried in configuration order. The first group wins whose
//   client prefixes contain the client address or whose identities contain
//   one of the client's mTLS identities (either suffices). A client that no
//   group admits falls to the default group if one is configured, and is
//   otherwise prohibited.
// - Within a group, a deny pattern wins over an allow pattern, and a name no
//   pattern matches is denied. The verdict is per name, so a denied name is
//   denied for every query type (A, HTTPS, TXT, MX, ...).
// - Audit mode (global, or per group overriding it) keeps the verdict but
//   marks it audit_only: the server answers as if allowed and logs
//   "would be denied".
// - The CNAME rule (resolver_config.h CnameRule) judges the names of the
//   answer's CNAME/DNAME chain with DecideChain. The server calls it on every
//   answer, cached or fresh, so both paths apply the same rule.
// - A Policy is immutable once created. PolicyHolder publishes a new one
//   atomically; a query keeps the snapshot it started with.
// - Cost: name matching is label-count + 1 hash probes per pattern set
//   (name_set.h), independent of the number of patterns. Group selection is
//   linear in groups and their prefixes, which are few.
#ifndef ZTGATE_RESOLVER_POLICY_POLICY_H_
#define ZTGATE_RESOLVER_POLICY_POLICY_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/ip_address.h"
#include "resolver/dns/name.h"
#include "resolver/policy/name_set.h"
#include "resolver/resolver_config.h"

namespace ztgate::resolver::policy {

struct Group {
  std::string name;
  std::vector<IpPrefix> clients;
  absl::flat_hash_set<std::string> identities;
  NameSet allow;
  NameSet deny;
  PolicyMode mode = PolicyMode::kEnforce;
};

enum class Verdict {
  kAllow,
  kDeny,        // A denied name: REFUSED or NXDOMAIN with EDE 15.
  kProhibited,  // No group admits the client: REFUSED with EDE 18.
};

struct Decision {
  Verdict verdict = Verdict::kDeny;
  // The verdict is kDeny or kProhibited but audit mode applies: answer as
  // allowed and record "would be denied".
  bool audit_only = false;
  const Group* group = nullptr;  // Null for kProhibited.
  // Index in the chain of the name that decided (0: the query name).
  size_t decided_by = 0;

  // True when the server must answer with the block response.
  bool blocks() const { return verdict != Verdict::kAllow && !audit_only; }
};

class Policy {
 public:
  // Builds the policy, converting every pattern (IDNA included). An invalid
  // pattern fails naming the group, the pattern and its line.
  static absl::StatusOr<std::shared_ptr<const Policy>> Create(const PolicyConfig& config);

  // Returns the first group admitting the client, the default group, or
  // nullptr. The pointer is valid while the caller holds this Policy.
  const Group* SelectGroup(const IpAddress& client,
                           std::span<const std::string> identities) const;
  // Judges the query name alone. `group` may be nullptr (kProhibited).
  Decision DecideName(const Group* group, const dns::Name& name) const;
  // Judges an answer's chain (query name first) by the CNAME rule.
  Decision DecideChain(const Group* group, std::span<const dns::Name> chain) const;

  DeniedRcode denied_rcode() const { return denied_rcode_; }
  CnameRule cname_rule() const { return cname_rule_; }
  size_t pattern_count() const;

 private:
  Policy() = default;
  Decision Judge(const Group* group, const dns::Name& name, size_t index) const;

  std::vector<Group> groups_;
  std::optional<Group> default_group_;
  PolicyMode mode_ = PolicyMode::kEnforce;
  DeniedRcode denied_rcode_ = DeniedRcode::kRefused;
  CnameRule cname_rule_ = CnameRule::kQueryName;
};

// Publishes the current policy to the query threads. Load() takes a
// snapshot a query keeps to its end; Store() swaps in a new policy while
// queries run. Both are std::atomic<std::shared_ptr> operations, so no
// mutex is taken on the query path. NOTE: libstdc++ 12 implements
// std::atomic<std::shared_ptr> with a spin bit inside the pointer, held for
// the few instructions of a reference count update.
class PolicyHolder {
 public:
  explicit PolicyHolder(std::shared_ptr<const Policy> policy) : current_(std::move(policy)) {}

  std::shared_ptr<const Policy> Load() const { return current_.load(std::memory_order_acquire); }
  void Store(std::shared_ptr<const Policy> policy) {
    current_.store(std::move(policy), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const Policy>> current_;
};

}  // namespace ztgate::resolver::policy

#endif  // ZTGATE_RESOLVER_POLICY_POLICY_H_
