// The per-client name policy; see policy.h.
#include "resolver/policy/policy.h"

#include "common/str_cat.h"

namespace ztgate::resolver::policy {
namespace {

// Names the line of pattern `index` when the config recorded it.
std::string LineOf(const std::vector<int>& lines, size_t index) {
  return index < lines.size() ? StrCat(" at line ", lines[index]) : std::string();
}

absl::Status AddPatterns(const GroupConfig& config, const std::vector<std::string>& patterns,
                         const std::vector<int>& lines, std::string_view kind, NameSet& set) {
  for (size_t i = 0; i < patterns.size(); ++i) {
    absl::StatusOr<Pattern> pattern = ParsePattern(patterns[i]);
    if (!pattern.ok()) {
      return absl::InvalidArgumentError(StrCat("group \"", config.name, "\": ", kind, " pattern",
                                               LineOf(lines, i), ": ",
                                               pattern.status().message()));
    }
    set.Add(*pattern);
  }
  return absl::OkStatus();
}

absl::StatusOr<Group> BuildGroup(const GroupConfig& config, PolicyMode global_mode) {
  Group group;
  group.name = config.name;
  group.clients = config.clients;
  group.identities.insert(config.identities.begin(), config.identities.end());
  group.mode = config.mode.value_or(global_mode);
  if (absl::Status s = AddPatterns(config, config.allow, config.allow_lines, "allow", group.allow);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AddPatterns(config, config.deny, config.deny_lines, "deny", group.deny);
      !s.ok()) {
    return s;
  }
  return group;
}

bool Admits(const Group& group, const IpAddress& client,
            std::span<const std::string> identities) {
  for (const IpPrefix& prefix : group.clients) {
    if (prefix.Contains(client)) return true;
  }
  if (group.identities.empty()) return false;
  for (const std::string& identity : identities) {
    if (group.identities.contains(identity)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Create(const PolicyConfig& config) {
  std::shared_ptr<Policy> policy(new Policy());
  policy->mode_ = config.mode;
  policy->denied_rcode_ = config.denied_rcode;
  policy->cname_rule_ = config.cname_rule;
  policy->groups_.reserve(config.groups.size());
  for (const GroupConfig& group_config : config.groups) {
    absl::StatusOr<Group> group = BuildGroup(group_config, config.mode);
    if (!group.ok()) return group.status();
    policy->groups_.push_back(std::move(*group));
  }
  if (config.default_group) {
    absl::StatusOr<Group> group = BuildGroup(*config.default_group, config.mode);
    if (!group.ok()) return group.status();
    policy->default_group_ = std::move(*group);
  }
  return std::shared_ptr<const Policy>(std::move(policy));
}

const Group* Policy::SelectGroup(const IpAddress& client,
                                 std::span<const std::string> identities) const {
  for (const Group& group : groups_) {
    if (Admits(group, client, identities)) return &group;
  }
  return default_group_ ? &*default_group_ : nullptr;
}

Decision Policy::Judge(const Group* group, const dns::Name& name, size_t index) const {
  Decision decision;
  decision.decided_by = index;
  if (group == nullptr) {
    decision.verdict = Verdict::kProhibited;
    decision.audit_only = mode_ == PolicyMode::kAudit;
    return decision;
  }
  decision.group = group;
  if (group->deny.Contains(name)) {
    decision.verdict = Verdict::kDeny;
  } else {
    decision.verdict = group->allow.Contains(name) ? Verdict::kAllow : Verdict::kDeny;
  }
  decision.audit_only = decision.verdict != Verdict::kAllow && group->mode == PolicyMode::kAudit;
  return decision;
}

Decision Policy::DecideName(const Group* group, const dns::Name& name) const {
  return Judge(group, name, 0);
}

Decision Policy::DecideChain(const Group* group, std::span<const dns::Name> chain) const {
  if (chain.empty()) return Judge(group, dns::Name(), 0);
  const Decision first = Judge(group, chain.front(), 0);
  if (first.verdict != Verdict::kAllow || cname_rule_ == CnameRule::kQueryName) return first;
  for (size_t i = 1; i < chain.size(); ++i) {
    const bool denied = cname_rule_ == CnameRule::kNoDeniedTarget
                            ? group->deny.Contains(chain[i])
                            : Judge(group, chain[i], i).verdict != Verdict::kAllow;
    if (denied) {
      Decision decision = Judge(group, chain[i], i);
      decision.verdict = Verdict::kDeny;
      decision.audit_only = group->mode == PolicyMode::kAudit;
      return decision;
    }
  }
  return first;
}

size_t Policy::pattern_count() const {
  size_t count = 0;
  for (const Group& group : groups_) count += group.allow.size() + group.deny.size();
  if (default_group_) count += default_group_->allow.size() + default_group_->deny.size();
  return count;
}

}  // namespace ztgate::resolver::policy
