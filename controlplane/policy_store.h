// The live policy and its version. Every change builds a complete new
// resolver::policy::Policy first (pattern conversion included) and
// publishes it atomically only if that succeeds, so a bad change leaves the
// running policy untouched and queries in flight keep the snapshot they
// started with. Changes never drop connections or installed flows; callers
// that ask to revoke flows do so separately (FlowInstaller::Revoke).
#ifndef ZTGATE_CONTROLPLANE_POLICY_STORE_H_
#define ZTGATE_CONTROLPLANE_POLICY_STORE_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "resolver/policy/policy.h"
#include "resolver/resolver_config.h"

namespace ztgate::controlplane {

enum class PatternListKind { kAllow, kDeny };

class PolicyStore {
 public:
  // Publishes nothing: `holder` already serves the policy built from
  // `initial`.
  PolicyStore(resolver::PolicyConfig initial, resolver::policy::PolicyHolder* holder)
      : config_(std::move(initial)), holder_(holder) {}

  std::pair<resolver::PolicyConfig, uint64_t> Get() const;

  // Each change fails with ABORTED when `expected_version` is set (non-zero)
  // and differs from the current version, and returns the new version.
  absl::StatusOr<uint64_t> Replace(resolver::PolicyConfig config, uint64_t expected_version);
  // Returns the new version and how many patterns were added (or removed);
  // patterns already present (or absent) are skipped.
  absl::StatusOr<std::pair<uint64_t, uint32_t>> AddPatterns(const std::string& group,
                                                            PatternListKind list,
                                                            const std::vector<std::string>& patterns,
                                                            uint64_t expected_version);
  absl::StatusOr<std::pair<uint64_t, uint32_t>> RemovePatterns(
      const std::string& group, PatternListKind list, const std::vector<std::string>& patterns,
      uint64_t expected_version);
  // Sets the global mode when `group` is empty, else that group's mode.
  absl::StatusOr<uint64_t> SetMode(resolver::PolicyMode mode, const std::string& group);

 private:
  // Edits one group's allow or deny list (patterns and their file lines)
  // and returns how many patterns changed.
  using PatternEdit =
      std::function<uint32_t(std::vector<std::string>& entries, std::vector<int>& lines)>;
  absl::StatusOr<std::pair<uint64_t, uint32_t>> EditPatterns(const std::string& group,
                                                             PatternListKind list,
                                                             uint64_t expected_version,
                                                             const PatternEdit& edit);
  absl::Status CheckVersion(uint64_t expected_version) const;
  // Builds and publishes `candidate`; the caller holds mutex_.
  absl::StatusOr<uint64_t> Publish(resolver::PolicyConfig candidate);
  static resolver::GroupConfig* FindGroup(resolver::PolicyConfig& config, const std::string& name);

  mutable std::mutex mutex_;
  resolver::PolicyConfig config_;
  uint64_t version_ = 1;
  resolver::policy::PolicyHolder* holder_;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_POLICY_STORE_H_
