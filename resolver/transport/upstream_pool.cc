// The pool of DoT upstreams; see upstream_pool.h.
#include "resolver/transport/upstream_pool.h"

#include <spdlog/spdlog.h>

#include "common/str_cat.h"

namespace ztgate::resolver::transport {
namespace {

constexpr size_t kDnsHeaderBytes = 12;
constexpr size_t kMaxDnsMessageBytes = 65535;

}  // namespace

struct UpstreamPool::Upstream {
  UpstreamConfig config;
  std::string name;
  std::vector<std::shared_ptr<UpstreamConnection>> connections;
  std::atomic<size_t> next_connection{0};

  mutable absl::Mutex mutex;
  uint32_t consecutive_failures ABSL_GUARDED_BY(mutex) = 0;
  bool down ABSL_GUARDED_BY(mutex) = false;
  std::chrono::steady_clock::time_point retry_after ABSL_GUARDED_BY(mutex);
  bool probing ABSL_GUARDED_BY(mutex) = false;
  uint64_t answered ABSL_GUARDED_BY(mutex) = 0;
  uint64_t failed ABSL_GUARDED_BY(mutex) = 0;
};

struct UpstreamPool::Attempt {
  std::string query;
  UpstreamCallback done;
  std::vector<Upstream*> order;
  size_t next = 0;
  absl::Status last_error;
};

absl::StatusOr<std::shared_ptr<UpstreamPool>> UpstreamPool::Create(
    const std::vector<UpstreamConfig>& upstreams, const UpstreamPoolConfig& config,
    IoContextPool* io_pool) {
  if (upstreams.empty()) {
    return absl::InvalidArgumentError("the upstream pool needs at least one DoT upstream");
  }
  auto stats = std::make_shared<AtomicCounters<UpstreamPoolCounters>>();
  std::vector<std::unique_ptr<Upstream>> built;
  for (const UpstreamConfig& upstream_config : upstreams) {
    absl::StatusOr<SslCtxPtr> ctx = BuildUpstreamContext(upstream_config);
    if (!ctx.ok()) return ctx.status();
    auto tls_context = std::make_shared<asio::ssl::context>(ctx->release());
    auto upstream = std::make_unique<Upstream>();
    upstream->config = upstream_config;
    upstream->name = upstream_config.endpoint.ToString();
    for (uint32_t i = 0; i < std::max<uint32_t>(1, upstream_config.connections); ++i) {
      upstream->connections.push_back(std::make_shared<UpstreamConnection>(
          io_pool->Next(), upstream_config, tls_context, config.max_backoff, stats));
    }
    spdlog::info("upstream {}: {} connections, verified by {}", upstream->name,
                 upstream->connections.size(),
                 upstream_config.tls_name.empty()
                     ? std::string("SPKI pin")
                     : StrCat("name ", upstream_config.tls_name,
                              upstream_config.spki_pins.empty() ? "" : " and SPKI pin"));
    built.push_back(std::move(upstream));
  }
  return std::shared_ptr<UpstreamPool>(new UpstreamPool(config, std::move(built), stats));
}

UpstreamPool::UpstreamPool(const UpstreamPoolConfig& config,
                           std::vector<std::unique_ptr<Upstream>> upstreams,
                           std::shared_ptr<AtomicCounters<UpstreamPoolCounters>> stats)
    : config_(config), upstreams_(std::move(upstreams)), stats_(std::move(stats)) {}

UpstreamPool::~UpstreamPool() = default;

void UpstreamPool::Stop() {
  spdlog::info("upstream pool: stopping, {} upstreams", upstreams_.size());
  for (auto& upstream : upstreams_) {
    for (auto& connection : upstream->connections) connection->Shutdown();
  }
}

void UpstreamPool::Resolve(std::string query, UpstreamCallback done) {
  if (query.size() < kDnsHeaderBytes || query.size() > kMaxDnsMessageBytes) {
    stats_->Add(&UpstreamPoolCounters::rejected_queries);
    done(absl::InvalidArgumentError(
        StrCat("query of ", query.size(), " bytes is not a DNS message (12 to 65535 bytes)")));
    return;
  }
  stats_->Add(&UpstreamPoolCounters::queries);
  auto attempt = std::make_shared<Attempt>();
  attempt->query = std::move(query);
  attempt->done = std::move(done);
  attempt->order = PickOrder();
  TryNext(std::move(attempt));
}

std::vector<UpstreamPool::Upstream*> UpstreamPool::PickOrder() {
  const auto now = std::chrono::steady_clock::now();
  const size_t count = upstreams_.size();
  const size_t start = next_upstream_.fetch_add(1, std::memory_order_relaxed);
  std::vector<Upstream*> usable;
  std::vector<Upstream*> down;
  for (size_t i = 0; i < count; ++i) {
    Upstream* upstream = upstreams_[(start + i) % count].get();
    absl::MutexLock lock(&upstream->mutex);
    if (!upstream->down) {
      usable.push_back(upstream);
    } else if (!upstream->probing && now >= upstream->retry_after) {
      // One probe at a time; its outcome marks the upstream up or extends
      // the down time.
      upstream->probing = true;
      usable.insert(usable.begin(), upstream);
    } else {
      down.push_back(upstream);
    }
  }
  if (usable.empty()) usable = std::move(down);
  if (usable.size() > config_.attempts) usable.resize(config_.attempts);
  return usable;
}

void UpstreamPool::TryNext(std::shared_ptr<Attempt> attempt) {
  Upstream* upstream = attempt->order[attempt->next++];
  const size_t index = upstream->next_connection.fetch_add(1, std::memory_order_relaxed);
  UpstreamConnection& connection = *upstream->connections[index % upstream->connections.size()];
  connection.Send(attempt->query, [self = shared_from_this(), attempt,
                                   upstream](absl::StatusOr<std::string> result) {
    self->OnAttemptDone(attempt, upstream, std::move(result));
  });
}

void UpstreamPool::OnAttemptDone(std::shared_ptr<Attempt> attempt, Upstream* upstream,
                                 absl::StatusOr<std::string> result) {
  if (result.ok()) {
    RecordSuccess(*upstream);
    stats_->Add(&UpstreamPoolCounters::responses);
    attempt->done(std::move(result));
    return;
  }
  RecordFailure(*upstream, result.status());
  attempt->last_error = result.status();
  if (attempt->next < attempt->order.size()) {
    stats_->Add(&UpstreamPoolCounters::retries);
    uint64_t suppressed = 0;
    if (retry_log_limiter_.Allow(suppressed)) {
      spdlog::warn("{}; retrying on {}{}", result.status().message(),
                   attempt->order[attempt->next]->name,
                   suppressed > 0 ? StrCat(" (", suppressed, " similar retries not logged)") : "");
    }
    TryNext(std::move(attempt));
    return;
  }
  attempt->done(absl::Status(
      attempt->last_error.code(),
      StrCat(attempt->last_error.message(), " (", attempt->order.size(), " upstreams tried)")));
}

void UpstreamPool::RecordSuccess(Upstream& upstream) {
  absl::MutexLock lock(&upstream.mutex);
  ++upstream.answered;
  upstream.consecutive_failures = 0;
  upstream.probing = false;
  if (upstream.down) {
    upstream.down = false;
    spdlog::info("upstream {}: responded again, marked up", upstream.name);
  }
}

void UpstreamPool::RecordFailure(Upstream& upstream, const absl::Status& status) {
  stats_->Add(status.code() == absl::StatusCode::kDeadlineExceeded
                  ? &UpstreamPoolCounters::timeouts
                  : &UpstreamPoolCounters::network_failures);
  absl::MutexLock lock(&upstream.mutex);
  ++upstream.failed;
  ++upstream.consecutive_failures;
  const bool was_probe = upstream.probing;
  upstream.probing = false;
  if (upstream.consecutive_failures < config_.max_failures && !upstream.down) return;
  upstream.retry_after = std::chrono::steady_clock::now() +
                         absl::ToChronoNanoseconds(config_.down_time);
  if (!upstream.down || was_probe) {
    if (!upstream.down) stats_->Add(&UpstreamPoolCounters::marked_down);
    upstream.down = true;
    spdlog::warn("upstream {}: marked down after {} consecutive failures, next probe in {}: {}",
                 upstream.name, upstream.consecutive_failures,
                 absl::FormatDuration(config_.down_time), status.message());
  }
}

std::vector<UpstreamHealth> UpstreamPool::health() const {
  std::vector<UpstreamHealth> out;
  for (const auto& upstream : upstreams_) {
    absl::MutexLock lock(&upstream->mutex);
    out.push_back({upstream->name, !upstream->down, upstream->consecutive_failures,
                   upstream->answered, upstream->failed});
  }
  return out;
}

}  // namespace ztgate::resolver::transport
