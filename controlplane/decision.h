// One decision on one query: what the decision log records and what the
// decision counters count. The pipeline fills it as the query progresses
// and hands it to the decision sink when the response leaves.
#ifndef ZTGATE_CONTROLPLANE_DECISION_H_
#define ZTGATE_CONTROLPLANE_DECISION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "common/ip_address.h"

namespace ztgate::controlplane {

// Outcome of a query, each a counter in GetControlStats.
// X(enumerator, "label")
#define ZTGATE_DECISION_VERDICTS(X)                                       \
  X(kAllowed, "allowed")             /* answered from policy and upstream */ \
  X(kDenied, "denied")               /* blocked name: EDE 15 */          \
  X(kAuditDenied, "audit-denied")    /* would be denied; answered in audit mode */ \
  X(kProhibited, "prohibited")       /* no group admits the client: EDE 18 */ \
  X(kUpstreamFailed, "upstream-failed") /* SERVFAIL with EDE 22 or 23 */ \
  X(kInstallFailed, "install-failed")   /* SERVFAIL: a dataplane did not acknowledge */ \
  X(kFormErr, "formerr")             /* malformed query */                \
  X(kRejected, "rejected")           /* NOTIMP, BADVERS, zone transfer */ \
  X(kLocal, "local")                 /* answered locally, such as ANY */  \
  X(kDropped, "dropped")             /* unanswerable input, connection closed */

#define ZTGATE_ENUMERATOR(id, label) id,
enum class DecisionVerdict : uint8_t { ZTGATE_DECISION_VERDICTS(ZTGATE_ENUMERATOR) kCount };
#undef ZTGATE_ENUMERATOR

inline constexpr size_t kDecisionVerdictCount = static_cast<size_t>(DecisionVerdict::kCount);

#define ZTGATE_LABEL(id, label) std::string_view(label),
inline constexpr std::string_view kDecisionVerdictLabels[] = {
    ZTGATE_DECISION_VERDICTS(ZTGATE_LABEL)};
#undef ZTGATE_LABEL

inline std::string_view VerdictLabel(DecisionVerdict verdict) {
  return kDecisionVerdictLabels[static_cast<size_t>(verdict)];
}

struct DecisionRecord {
  absl::Time time;
  IpAddress client;
  std::string identity;  // Verified mTLS identity, if any.
  std::string group;
  std::string name;      // Query name, presentation form without the final dot.
  uint16_t qtype = 0;
  DecisionVerdict verdict = DecisionVerdict::kDropped;
  uint16_t rcode = 0;
  std::vector<IpAddress> addresses;  // Installed (or already installed) destinations.
  absl::Duration installed_lifetime = absl::ZeroDuration();
  absl::Duration install_latency = absl::ZeroDuration();
  bool cache_hit = false;
  std::string transport;  // "dot" or "doh".
  std::string detail;     // Why, for failures: the upstream or install error.
  // Filled only when a consumer needs the messages (dnstap).
  uint16_t client_port = 0;
  std::string query_wire;
  std::string response_wire;
  absl::Time response_time;
};

// Receives every decision, on the thread that completed the query.
using DecisionSink = std::function<void(const DecisionRecord&)>;

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_DECISION_H_
