// Decision fan-out; see decision_hub.h.
#include "controlplane/decision_hub.h"

#include <algorithm>

namespace ztgate::controlplane {

std::pair<std::vector<DecisionRecord>, uint64_t> DecisionSubscription::Next(
    absl::Duration timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                  [this] { return closed_ || !queue_.empty(); });
  std::vector<DecisionRecord> records(std::make_move_iterator(queue_.begin()),
                                      std::make_move_iterator(queue_.end()));
  queue_.clear();
  const uint64_t lost = lost_;
  lost_ = 0;
  return {std::move(records), lost};
}

void DecisionSubscription::Push(const DecisionRecord& record) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) {
      ++lost_;
      return;
    }
    queue_.push_back(record);
  }
  ready_.notify_one();
}

void DecisionSubscription::Close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

bool DecisionSubscription::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::shared_ptr<DecisionSubscription> DecisionHub::Subscribe() {
  auto subscription = std::make_shared<DecisionSubscription>(kSubscriberQueue);
  std::lock_guard lock(mutex_);
  subscriptions_.push_back(subscription);
  return subscription;
}

void DecisionHub::Unsubscribe(const std::shared_ptr<DecisionSubscription>& subscription) {
  std::lock_guard lock(mutex_);
  std::erase(subscriptions_, subscription);
}

void DecisionHub::Publish(const DecisionRecord& record) {
  for (const DecisionSink& consumer : consumers_) consumer(record);
  std::lock_guard lock(mutex_);
  for (const auto& subscription : subscriptions_) subscription->Push(record);
}

void DecisionHub::CloseAll() {
  std::lock_guard lock(mutex_);
  for (const auto& subscription : subscriptions_) subscription->Close();
  subscriptions_.clear();
}

}  // namespace ztgate::controlplane
