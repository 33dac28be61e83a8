// The protective resolver's per-query path, behind the DoT listeners:
//
//   parse -> check the query -> local answers (ANY, zone transfers)
//   -> policy on the query name -> cache, else an upstream over DoT
//   -> policy on the answer's CNAME chain -> install the answer's addresses
//   on every dataplane serving the client -> cap TTLs -> release.
//
// Install before release: when dataplanes are configured, an answer that
// carries addresses leaves only after FlowInstaller reported every flow
// acknowledged; any install failure turns it into SERVFAIL with EDE 0
// ("Other") and the reason as extra text, so a client never receives an
// address it cannot reach. Cached answers take the same path as fresh ones.
//
// Flow lifetime = max(record TTL, lifetime_floor) + grace; the released
// TTLs are capped at the lifetime the installer reports, which is shorter
// when a flow was already installed with less time left.
#ifndef ZTGATE_CONTROLPLANE_QUERY_PIPELINE_H_
#define ZTGATE_CONTROLPLANE_QUERY_PIPELINE_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "controlplane/control_config.h"
#include "controlplane/decision.h"
#include "controlplane/flow_installer.h"
#include "resolver/cache/dns_cache.h"
#include "resolver/dns/message.h"
#include "resolver/policy/policy.h"
#include "resolver/transport/query_handler.h"
#include "resolver/transport/upstream_pool.h"

namespace ztgate::controlplane {

// Treatment of SVCB and HTTPS ipv4hint/ipv6hint addresses.
enum class HintMode {
  kInstall,  // Install them like A and AAAA records (the default).
  kStrip,    // Remove them from the answer, so clients must query A/AAAA.
};

struct PipelineOptions {
  absl::Duration lifetime_floor = absl::Seconds(30);
  absl::Duration grace = absl::Seconds(5);
  HintMode hints = HintMode::kInstall;
  // Copy the query and response messages into each DecisionRecord (for
  // dnstap); off, the records carry no wire data.
  bool capture_messages = false;
};

class QueryPipeline final : public resolver::transport::QueryHandler {
 public:
  // Every pointer must outlive the pipeline. `installer` may be null (no
  // dataplane: a protective DNS server only).
  QueryPipeline(PipelineOptions options, resolver::policy::PolicyHolder* policy,
                resolver::cache::DnsCache* cache,
                std::shared_ptr<resolver::transport::UpstreamPool> upstreams,
                FlowInstaller* installer, DecisionSink sink);

  void HandleQuery(std::string query, const resolver::transport::ClientContext& client,
                   resolver::transport::ResponseCallback done) override;

  uint64_t count(DecisionVerdict verdict) const {
    return counts_[static_cast<size_t>(verdict)].load(std::memory_order_relaxed);
  }

 private:
  struct Query;

  void Resolve(std::shared_ptr<Query> query);
  void OnUpstreamAnswer(std::shared_ptr<Query> query, absl::StatusOr<std::string> wire);
  void OnAnswer(std::shared_ptr<Query> query, resolver::dns::Message answer);
  void Install(std::shared_ptr<Query> query, resolver::dns::Message answer,
               std::vector<FlowToInstall> flows);
  void Release(Query& query, resolver::dns::Message answer, DecisionVerdict verdict);
  void Reply(Query& query, const resolver::dns::Message& response, DecisionVerdict verdict);
  void ReplyWire(Query& query, std::string wire, DecisionVerdict verdict, uint16_t rcode);
  void ReplyBlocked(Query& query, const resolver::policy::Decision& decision);

  const PipelineOptions options_;
  resolver::policy::PolicyHolder* policy_;
  resolver::cache::DnsCache* cache_;
  std::shared_ptr<resolver::transport::UpstreamPool> upstreams_;
  FlowInstaller* installer_;
  DecisionSink sink_;
  std::array<std::atomic<uint64_t>, kDecisionVerdictCount> counts_{};
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_QUERY_PIPELINE_H_
