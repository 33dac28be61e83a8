// The control plane's copy of what one dataplane's allow table holds: for
// each (client, destination) pair, when its entry expires at the latest and
// the name it was installed for.
//
// The mirror lets a query skip the InstallFlows round trip when the pair is
// already installed with enough lifetime left, and it is the source of the
// replay after a dataplane restarts. It may underestimate a lifetime (the
// dataplane extends busy entries by its idle timeout, which the mirror does
// not see) but never overestimates one, so skipping is always safe.
//
// Not thread-safe: DataplaneLink guards it with its own mutex.
#ifndef ZTGATE_CONTROLPLANE_FLOW_MIRROR_H_
#define ZTGATE_CONTROLPLANE_FLOW_MIRROR_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "controlplane/flow_batch.h"

namespace ztgate::controlplane {

class FlowMirror {
 public:
  using Key = std::pair<IpAddress, IpAddress>;  // (client, destination)

  struct Entry {
    absl::Time expires;
    std::string name;
    std::shared_ptr<const std::vector<std::string>> identities;  // See FlowToInstall.
  };

  // Records an acknowledged install. Keeps the later of two deadlines, as
  // the dataplane does.
  void Record(const FlowToInstall& flow, absl::Time installed_at);
  // Records an entry read back from the dataplane (ListFlows), whose
  // identities are unknown; identities recorded earlier for the pair stay.
  void RecordExpiry(const Key& key, absl::Time expires, std::string name);
  // Returns the remaining lifetime of a pair, or nullopt if it is absent or
  // expired at `now`.
  std::optional<absl::Duration> Remaining(const Key& key, absl::Time now) const;
  void Erase(const Key& key);
  // Removes entries that expired before `now`; returns how many.
  size_t Sweep(absl::Time now);
  // Returns the live entries as flows whose lifetime is what remains.
  std::vector<FlowToInstall> LiveFlows(absl::Time now) const;
  size_t size() const { return entries_.size(); }
  void Clear() { entries_.clear(); }

 private:
  void Update(const Key& key, absl::Time expires, std::string name,
              std::shared_ptr<const std::vector<std::string>> identities);

  absl::flat_hash_map<Key, Entry> entries_;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_FLOW_MIRROR_H_
