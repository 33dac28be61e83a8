// The per-dataplane flow mirror; see flow_mirror.h.
#include "controlplane/flow_mirror.h"

#include <algorithm>

namespace ztgate::controlplane {

void FlowMirror::Record(const FlowToInstall& flow, absl::Time installed_at) {
  Update({flow.client, flow.destination}, installed_at + flow.lifetime, flow.name,
         flow.identities);
}

void FlowMirror::RecordExpiry(const Key& key, absl::Time expires, std::string name) {
  Update(key, expires, std::move(name), nullptr);
}

void FlowMirror::Update(const Key& key, absl::Time expires, std::string name,
                        std::shared_ptr<const std::vector<std::string>> identities) {
  auto [it, inserted] = entries_.try_emplace(key, Entry{expires, name, identities});
  if (inserted) return;
  Entry& entry = it->second;
  if (expires > entry.expires) {
    entry.expires = expires;
    entry.name = std::move(name);
  }
  if (identities != nullptr) entry.identities = std::move(identities);
}

std::optional<absl::Duration> FlowMirror::Remaining(const Key& key, absl::Time now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
  return it->second.expires - now;
}

void FlowMirror::Erase(const Key& key) { entries_.erase(key); }

size_t FlowMirror::Sweep(absl::Time now) {
  return absl::erase_if(entries_, [now](const auto& entry) { return entry.second.expires <= now; });
}

std::vector<FlowToInstall> FlowMirror::LiveFlows(absl::Time now) const {
  std::vector<FlowToInstall> flows;
  flows.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) {
    if (entry.expires <= now) continue;
    flows.push_back({key.first, key.second, entry.expires - now, entry.name, entry.identities});
  }
  return flows;
}

}  // namespace ztgate::controlplane
