// The control thread; see control_thread.h.
#include "dataplane/control_thread.h"

#include <spdlog/spdlog.h>

namespace ztgate::dataplane {

bool ControlThread::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void ControlThread::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  wake_.notify_one();
}

void ControlThread::RunPending() {
  std::deque<std::function<void()>> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks.swap(tasks_);
  }
  for (auto& task : tasks) {
    std::lock_guard writer(writer_mutex_);
    task();
  }
}

void ControlThread::Run() {
  absl::Time next_sweep = absl::Now() + sweep_interval_;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, absl::ToChronoNanoseconds(std::max(absl::ZeroDuration(),
                                                               next_sweep - absl::Now())),
                     [&] { return stopped_ || !tasks_.empty(); });
      if (stopped_) break;
    }
    RunPending();
    if (absl::Now() < next_sweep) continue;

    uint32_t cursor = 0;
    size_t removed = 0;
    do {
      {
        std::lock_guard writer(writer_mutex_);
        removed += store_.SweepStep(&cursor, kSweepStep);
      }
      RunPending();
    } while (cursor != 0);
    if (removed > 0) spdlog::debug("sweep removed {} dead flows", removed);
    next_sweep = absl::Now() + sweep_interval_;
  }
  // Tasks queued before Stop() still run, so no caller waits forever;
  // Post() rejects tasks after it.
  RunPending();
}

}  // namespace ztgate::dataplane
