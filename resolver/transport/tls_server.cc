// The client-facing DoT and DoH server; see tls_server.h.
#include "resolver/transport/tls_server.h"

#include <csignal>
#include <future>
#include <thread>

#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "common/str_cat.h"
#include "resolver/transport/asio_endpoint.h"
#include "resolver/transport/tls_connection.h"

namespace ztgate::resolver::transport {
namespace {

// How long Stop() waits for the acceptors' event loop to close them, and
// for open connections to finish closing.
constexpr auto kStopWait = std::chrono::seconds(5);
constexpr auto kCloseWait = std::chrono::seconds(2);
// Pending connections the kernel queues per listener before accept().
constexpr int kListenBacklog = 1024;
// Pause before accepting again after accept() failed (out of descriptors).
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

std::string EndpointText(const asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().is_v6()
             ? StrCat("[", endpoint.address().to_string(), "]:", endpoint.port())
             : StrCat(endpoint.address().to_string(), ":", endpoint.port());
}

// ALPN protocol lists in wire format (RFC 7301), most preferred first.
// "dot" is the ALPN id of DNS over TLS (RFC 7858); DoH offers HTTP/2 and
// HTTP/1.1.
constexpr std::string_view kAlpnDot("\x03" "dot", 4);
constexpr std::string_view kAlpnDoh("\x02" "h2" "\x08" "http/1.1", 12);

const std::string_view* AlpnFor(ServerProtocol protocol) {
  return protocol == ServerProtocol::kDot ? &kAlpnDot : &kAlpnDoh;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsServer>> TlsServer::Create(TlsServerOptions options,
                                                              QueryHandler* handler,
                                                              IoContextPool* pool) {
  if (options.listeners.empty()) {
    return absl::InvalidArgumentError("the TLS server needs at least one listener");
  }
  absl::StatusOr<SslCtxPtr> ctx = BuildServerContext(options.tls, AlpnFor(options.protocol));
  if (!ctx.ok()) return ctx.status();
  auto context = std::make_shared<asio::ssl::context>(ctx->release());
  return std::unique_ptr<TlsServer>(
      new TlsServer(std::move(options), handler, pool, std::move(context)));
}

TlsServer::TlsServer(TlsServerOptions options, QueryHandler* handler, IoContextPool* pool,
                     std::shared_ptr<asio::ssl::context> tls_context)
    : state_(std::make_shared<TlsServerState>(std::move(options), handler)),
      options_(state_->options),
      pool_(pool),
      tls_context_(std::move(tls_context)) {}

TlsServer::~TlsServer() { Stop(); }

absl::Status TlsServer::Start() {
  asio::io_context& accept_context = pool_->At(0);
  for (const Endpoint& endpoint : options_.listeners) {
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(accept_context);
    const asio::ip::tcp::endpoint bind_to = ToAsio(endpoint);
    asio::error_code error;
    acceptor->open(bind_to.protocol(), error);
    if (!error) acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
    if (!error && bind_to.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), error);
    if (!error) acceptor->bind(bind_to, error);
    if (!error) acceptor->listen(kListenBacklog, error);
    if (error) {
      return absl::UnavailableError(
          StrCat(state_->name(), " listener ", endpoint.ToString(), ": ", error.message()));
    }
    spdlog::info("{}: listening on {}", state_->name(), EndpointText(acceptor->local_endpoint()));
    acceptors_.push_back(std::move(acceptor));
    accept_retry_timers_.push_back(std::make_unique<asio::steady_timer>(accept_context));
  }
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    asio::post(accept_context, [this, i] { Accept(i); });
  }
  if (options_.reload_on_sighup) WaitForSighup();
  return absl::OkStatus();
}

void TlsServer::Accept(size_t listener_index) {
  acceptors_[listener_index]->async_accept(
      pool_->Next(), [this, listener_index](const asio::error_code& error,
                                            asio::ip::tcp::socket socket) {
        OnAccepted(listener_index, error, std::move(socket));
      });
}

void TlsServer::OnAccepted(size_t listener_index, const asio::error_code& error,
                           asio::ip::tcp::socket socket) {
  if (error == asio::error::operation_aborted) return;
  if (error) {
    // Out of descriptors or memory: retry after a pause instead of spinning
    // on the same error; the rate-limited log makes the condition visible.
    state_->LogError("accept failed", EndpointText(acceptors_[listener_index]->local_endpoint()),
                     error.message());
    asio::steady_timer& timer = *accept_retry_timers_[listener_index];
    timer.expires_after(kAcceptRetryDelay);
    timer.async_wait([this, listener_index](const asio::error_code& wait_error) {
      if (!wait_error) Accept(listener_index);
    });
    return;
  }
  auto connection =
      std::make_shared<TlsConnection>(state_, std::move(socket), CurrentTlsContext());
  switch (state_->limiter.TryAdmit(connection->client_address())) {
    case ConnectionLimiter::Admission::kAdmitted:
      state_->stats.Add(&ServerCounters::connections_accepted);
      state_->Register(connection);
      asio::post(connection->executor(), [connection] { connection->Start(); });
      break;
    case ConnectionLimiter::Admission::kTotalLimit:
      state_->stats.Add(&ServerCounters::connections_rejected_total_limit);
      state_->LogError("connection rejected", connection->client_address().ToString(),
               StrCat("total limit of ", options_.limits.max_connections, " reached"));
      connection->Abort();
      break;
    case ConnectionLimiter::Admission::kClientLimit:
      state_->stats.Add(&ServerCounters::connections_rejected_client_limit);
      state_->LogError("connection rejected", connection->client_address().ToString(),
               StrCat("per-client limit of ", options_.limits.max_connections_per_client,
                      " reached"));
      connection->Abort();
      break;
  }
  Accept(listener_index);
}

void TlsServer::WaitForSighup() {
#ifdef SIGHUP
  if (signals_ == nullptr) signals_ = std::make_unique<asio::signal_set>(pool_->At(0), SIGHUP);
  signals_->async_wait([this](const asio::error_code& error, int) {
    if (error) return;
    spdlog::info("{}: SIGHUP received, reloading TLS certificates", state_->name());
    (void)ReloadTls();
    WaitForSighup();
  });
#endif
}

absl::Status TlsServer::ReloadTls() {
  std::shared_ptr<asio::ssl::context> current = CurrentTlsContext();
  absl::StatusOr<SslCtxPtr> ctx = BuildServerContext(options_.tls, AlpnFor(options_.protocol),
                                                       current->native_handle());
  if (!ctx.ok()) {
    state_->stats.Add(&ServerCounters::tls_reload_failures);
    spdlog::error("{}: TLS reload failed, keeping the previous certificate: {}",
                  state_->name(), ctx.status().message());
    return ctx.status();
  }
  auto context = std::make_shared<asio::ssl::context>(ctx->release());
  {
    absl::MutexLock lock(&tls_mutex_);
    tls_context_ = std::move(context);
  }
  state_->stats.Add(&ServerCounters::tls_reloads);
  spdlog::info("{}: TLS certificate reloaded from {}", state_->name(),
               options_.tls.certificate_file);
  return absl::OkStatus();
}

std::shared_ptr<asio::ssl::context> TlsServer::CurrentTlsContext() const {
  absl::MutexLock lock(&tls_mutex_);
  return tls_context_;
}

void TlsServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (!acceptors_.empty()) {
    CloseAcceptors();
    spdlog::info("{}: stopped listening", state_->name());
  }
  CloseConnections();
}

void TlsServer::CloseAcceptors() {
  // Acceptors, timers and the signal set belong to the first event loop and
  // are closed there. Closing queues their aborted handlers, which use this
  // object, so the promise is set by a second closure queued after them.
  std::promise<void> closed;
  asio::post(pool_->At(0), [this, &closed] {
    asio::error_code ignored;
    for (auto& acceptor : acceptors_) acceptor->close(ignored);
    for (auto& timer : accept_retry_timers_) timer->cancel();
    if (signals_ != nullptr) signals_->cancel(ignored);
    asio::post(pool_->At(0), [&closed] { closed.set_value(); });
  });
  if (closed.get_future().wait_for(kStopWait) == std::future_status::ready) return;
  // The loop no longer runs, so nothing can race with closing here.
  asio::error_code ignored;
  for (auto& acceptor : acceptors_) acceptor->close(ignored);
  if (signals_ != nullptr) signals_->cancel(ignored);
}

void TlsServer::CloseConnections() {
  std::vector<std::shared_ptr<TlsConnection>> open;
  {
    absl::MutexLock lock(&state_->mutex);
    for (auto& [pointer, weak] : state_->connections) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  for (auto& connection : open) connection->CloseFromAnyThread();
  open.clear();

  // Connections close on their own event loops. Waiting for them means no
  // handler call starts after Stop() returns.
  const auto until = std::chrono::steady_clock::now() + kCloseWait;
  while (state_->limiter.total() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (state_->limiter.total() > 0) {
    spdlog::warn("{}: {} connections still open after stop", state_->name(),
                 state_->limiter.total());
  }
}

std::vector<asio::ip::tcp::endpoint> TlsServer::local_endpoints() const {
  std::vector<asio::ip::tcp::endpoint> out;
  for (const auto& acceptor : acceptors_) {
    asio::error_code error;
    asio::ip::tcp::endpoint endpoint = acceptor->local_endpoint(error);
    if (!error) out.push_back(endpoint);
  }
  return out;
}

void TlsServerState::Register(const std::shared_ptr<TlsConnection>& connection) {
  absl::MutexLock lock(&mutex);
  connections[connection.get()] = connection;
}

void TlsServerState::Unregister(TlsConnection* connection, const IpAddress& client) {
  limiter.Release(client);
  absl::MutexLock lock(&mutex);
  connections.erase(connection);
}

}  // namespace ztgate::resolver::transport
