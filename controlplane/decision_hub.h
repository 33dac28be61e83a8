// Fan-out of decisions: every decision the pipeline takes goes to the
// decision log, the audit collector and each WatchDecisions subscriber.
//
// Publish() runs on event-loop threads and never blocks on a slow reader:
// each subscriber has a bounded queue, and decisions that do not fit are
// counted as lost and reported to that subscriber.
#ifndef ZTGATE_CONTROLPLANE_DECISION_HUB_H_
#define ZTGATE_CONTROLPLANE_DECISION_HUB_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "controlplane/decision.h"

namespace ztgate::controlplane {

class DecisionSubscription {
 public:
  explicit DecisionSubscription(size_t capacity) : capacity_(capacity) {}

  // Waits up to `timeout` for decisions; returns those queued (possibly
  // none) and the number lost since the last call.
  std::pair<std::vector<DecisionRecord>, uint64_t> Next(absl::Duration timeout);
  void Push(const DecisionRecord& record);
  void Close();
  bool closed() const;

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<DecisionRecord> queue_;
  uint64_t lost_ = 0;
  bool closed_ = false;
};

class DecisionHub {
 public:
  // Adds a consumer called for every decision (decision log, audit).
  void AddConsumer(DecisionSink consumer) { consumers_.push_back(std::move(consumer)); }

  // Queue size per subscriber, in decisions.
  static constexpr size_t kSubscriberQueue = 10000;
  std::shared_ptr<DecisionSubscription> Subscribe();
  void Unsubscribe(const std::shared_ptr<DecisionSubscription>& subscription);

  void Publish(const DecisionRecord& record);
  // Closes every subscription, so WatchDecisions calls return.
  void CloseAll();

 private:
  std::vector<DecisionSink> consumers_;  // Set before the pipeline starts.
  std::mutex mutex_;
  std::vector<std::shared_ptr<DecisionSubscription>> subscriptions_;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_DECISION_HUB_H_
