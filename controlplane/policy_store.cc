// The live policy; see policy_store.h.
#include "controlplane/policy_store.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/str_cat.h"

namespace ztgate::controlplane {

std::pair<resolver::PolicyConfig, uint64_t> PolicyStore::Get() const {
  std::lock_guard lock(mutex_);
  return {config_, version_};
}

absl::Status PolicyStore::CheckVersion(uint64_t expected_version) const {
  if (expected_version == 0 || expected_version == version_) return absl::OkStatus();
  return absl::AbortedError(StrCat("policy version is ", version_, ", not ", expected_version,
                                   "; read the policy again and retry"));
}

absl::StatusOr<uint64_t> PolicyStore::Publish(resolver::PolicyConfig candidate) {
  absl::StatusOr<std::shared_ptr<const resolver::policy::Policy>> policy =
      resolver::policy::Policy::Create(candidate);
  if (!policy.ok()) return policy.status();
  holder_->Store(*policy);
  config_ = std::move(candidate);
  ++version_;
  spdlog::info("policy version {} published: {} group(s), {} pattern(s)", version_,
               config_.groups.size(), (*policy)->pattern_count());
  return version_;
}

resolver::GroupConfig* PolicyStore::FindGroup(resolver::PolicyConfig& config,
                                              const std::string& name) {
  for (resolver::GroupConfig& group : config.groups) {
    if (group.name == name) return &group;
  }
  if (config.default_group && config.default_group->name == name) return &*config.default_group;
  return nullptr;
}

absl::StatusOr<uint64_t> PolicyStore::Replace(resolver::PolicyConfig config,
                                              uint64_t expected_version) {
  std::lock_guard lock(mutex_);
  if (absl::Status status = CheckVersion(expected_version); !status.ok()) return status;
  return Publish(std::move(config));
}

absl::StatusOr<std::pair<uint64_t, uint32_t>> PolicyStore::AddPatterns(
    const std::string& group, PatternListKind list, const std::vector<std::string>& patterns,
    uint64_t expected_version) {
  return EditPatterns(group, list, expected_version,
                      [&patterns](std::vector<std::string>& entries, std::vector<int>& lines) {
                        uint32_t added = 0;
                        for (const std::string& pattern : patterns) {
                          if (std::find(entries.begin(), entries.end(), pattern) != entries.end()) {
                            continue;
                          }
                          entries.push_back(pattern);
                          if (!lines.empty()) lines.push_back(0);  // Not from a file.
                          ++added;
                        }
                        return added;
                      });
}

absl::StatusOr<std::pair<uint64_t, uint32_t>> PolicyStore::RemovePatterns(
    const std::string& group, PatternListKind list, const std::vector<std::string>& patterns,
    uint64_t expected_version) {
  return EditPatterns(group, list, expected_version,
                      [&patterns](std::vector<std::string>& entries, std::vector<int>& lines) {
                        uint32_t removed = 0;
                        for (const std::string& pattern : patterns) {
                          auto it = std::find(entries.begin(), entries.end(), pattern);
                          if (it == entries.end()) continue;
                          if (lines.size() == entries.size()) {
                            lines.erase(lines.begin() + (it - entries.begin()));
                          }
                          entries.erase(it);
                          ++removed;
                        }
                        return removed;
                      });
}

absl::StatusOr<std::pair<uint64_t, uint32_t>> PolicyStore::EditPatterns(
    const std::string& group, PatternListKind list, uint64_t expected_version,
    const PatternEdit& edit) {
  std::lock_guard lock(mutex_);
  if (absl::Status status = CheckVersion(expected_version); !status.ok()) return status;
  resolver::PolicyConfig candidate = config_;
  resolver::GroupConfig* target = FindGroup(candidate, group);
  if (target == nullptr) return absl::NotFoundError(StrCat("group \"", group, "\" not found"));
  const bool allow = list == PatternListKind::kAllow;
  const uint32_t changed = edit(allow ? target->allow : target->deny,
                                allow ? target->allow_lines : target->deny_lines);
  absl::StatusOr<uint64_t> version = Publish(std::move(candidate));
  if (!version.ok()) return version.status();
  return std::make_pair(*version, changed);
}

absl::StatusOr<uint64_t> PolicyStore::SetMode(resolver::PolicyMode mode,
                                              const std::string& group) {
  std::lock_guard lock(mutex_);
  resolver::PolicyConfig candidate = config_;
  if (group.empty()) {
    candidate.mode = mode;
  } else {
    resolver::GroupConfig* target = FindGroup(candidate, group);
    if (target == nullptr) return absl::NotFoundError(StrCat("group \"", group, "\" not found"));
    target->mode = mode;
  }
  return Publish(std::move(candidate));
}

}  // namespace ztgate::controlplane
