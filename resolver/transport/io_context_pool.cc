// The io_context pool; see io_context_pool.h.
#include "resolver/transport/io_context_pool.h"

#include <spdlog/spdlog.h>

namespace ztgate::resolver::transport {

IoContextPool::IoContextPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < threads; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread.
    contexts_.push_back(std::make_unique<asio::io_context>(1));
  }
}

IoContextPool::~IoContextPool() { Stop(); }

void IoContextPool::Start() {
  if (!threads_.empty()) return;
  for (auto& context : contexts_) {
    context->restart();
    guards_.push_back(asio::make_work_guard(*context));
  }
  for (auto& context : contexts_) {
    asio::io_context* loop = context.get();
    threads_.emplace_back([loop] {
      try {
        loop->run();
      } catch (const std::exception& e) {
        // Handlers report errors through error codes; an exception escaping
        // one is a bug, and the loop must not die silently.
        spdlog::critical("event loop stopped by an exception: {}", e.what());
      }
    });
  }
}

void IoContextPool::Stop() {
  guards_.clear();
  for (auto& context : contexts_) context->stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

asio::io_context& IoContextPool::Next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

}  // namespace ztgate::resolver::transport
