// A pool of Asio io_contexts, each run by one thread: the DoT server's and
// the upstream pool's event loops. A connection lives on one io_context for
// its whole life, so its handlers never run concurrently and need no strand
// or lock.
#ifndef ZTGATE_RESOLVER_TRANSPORT_IO_CONTEXT_POOL_H_
#define ZTGATE_RESOLVER_TRANSPORT_IO_CONTEXT_POOL_H_

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

namespace ztgate::resolver::transport {

class IoContextPool {
 public:
  // `threads` 0 means one per hardware thread.
  explicit IoContextPool(size_t threads = 0);
  ~IoContextPool();
  IoContextPool(const IoContextPool&) = delete;
  IoContextPool& operator=(const IoContextPool&) = delete;

  void Start();
  // Stops every loop and joins the threads; pending handlers are dropped.
  void Stop();

  // The next io_context, round robin.
  asio::io_context& Next();
  asio::io_context& At(size_t index) { return *contexts_[index]; }
  size_t size() const { return contexts_.size(); }

 private:
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_IO_CONTEXT_POOL_H_
