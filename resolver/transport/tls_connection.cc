// One client's TLS connection; see tls_connection.h.
#include "resolver/transport/tls_connection.h"

#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include "common/str_cat.h"
#include "resolver/transport/doh_http1_session.h"
#include "resolver/transport/doh_http2_session.h"
#include "resolver/transport/dot_session.h"

namespace ztgate::resolver::transport {
namespace {

// How long a closing connection waits to send its close_notify and receive
// the client's before the socket is closed anyway.
constexpr auto kShutdownTimeout = std::chrono::seconds(1);
// How many event-loop rounds a write may wait for further buffered
// requests, so a steady stream of requests cannot hold responses back.
constexpr int kMaxWriteDeferrals = 16;

std::chrono::steady_clock::duration ToChrono(absl::Duration duration) {
  return absl::ToChronoNanoseconds(duration);
}

// The client closed its side: a clean close_notify, a bare TCP FIN
// (stream_truncated) or a reset. None of these is worth an error line.
bool IsPeerClose(const asio::error_code& error) {
  return error == asio::error::eof || error == asio::ssl::error::stream_truncated ||
         error == asio::error::connection_reset;
}

}  // namespace

TlsConnection::TlsConnection(std::shared_ptr<TlsServerState> state,
                             asio::ip::tcp::socket socket,
                             std::shared_ptr<asio::ssl::context> tls_context)
    : state_(std::move(state)),
      tls_context_(std::move(tls_context)),
      stream_(std::move(socket), *tls_context_),
      timer_(stream_.get_executor()) {
  // Sockets from the acceptor are always bound to one of the pool's
  // io_contexts.
  io_context_ = &static_cast<asio::io_context&>(
      asio::query(stream_.get_executor(), asio::execution::context));
  asio::error_code error;
  const asio::ip::tcp::endpoint remote = stream_.lowest_layer().remote_endpoint(error);
  if (!error) {
    const asio::ip::address address = remote.address();
    client_.address = address.is_v4() ? IpAddress::FromV4(address.to_v4().to_bytes())
                                      : IpAddress::FromV6(address.to_v6().to_bytes());
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      client_.address = IpAddress::FromV4(
          asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_bytes());
    }
    client_.port = remote.port();
  }
  peer_ = client_.address.is_v4() ? StrCat(client_.address.ToString(), ":", client_.port)
                                  : StrCat("[", client_.address.ToString(), "]:", client_.port);
  stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), error);
}

TlsConnection::~TlsConnection() = default;

const IpAddress& TlsConnection::client_address() const { return client_.address; }

void TlsConnection::Start() {
  timer_.expires_after(ToChrono(state_->options.handshake_timeout));
  timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (error || self->established_ || self->closed_) return;
    self->state_->stats.Add(&ServerCounters::handshake_timeouts);
    self->Close("TLS handshake timed out");
  });
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](const asio::error_code& error) {
                            self->OnHandshake(error);
                          });
}

void TlsConnection::OnHandshake(const asio::error_code& error) {
  if (closed_) return;
  if (error) {
    state_->stats.Add(&ServerCounters::handshakes_failed);
    state_->LogError("TLS handshake failed", peer_, error.message());
    Close("");
    return;
  }
  established_ = true;
  SSL* ssl = stream_.native_handle();
  state_->stats.Add(&ServerCounters::handshakes_completed);
  if (SSL_session_reused(ssl)) state_->stats.Add(&ServerCounters::handshakes_resumed);
  // The handshake succeeded, so a certificate that is present has passed
  // verification against the client CA.
  if (X509* cert = SSL_get0_peer_certificate(ssl);
      cert != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
    client_.identity = ExtractIdentity(cert);
  }
  last_activity_ = std::chrono::steady_clock::now();
  ArmIdleTimer();
  StartProtocol();
  spdlog::debug("{}: {} connected ({}, identity {}:{})", state_->name(), peer_,
                SSL_get_version(ssl), IdentityKindName(client_.identity.kind),
                client_.identity.name);
  // An HTTP/2 server sends its SETTINGS first.
  AfterProtocolCall(true);
}

void TlsConnection::StartProtocol() {
  QuerySink& sink = *this;
  if (state_->options.protocol == ServerProtocol::kDot) {
    client_.transport = "dot";
    protocol_ = std::make_unique<DotSession>(*state_, sink, peer_);
    return;
  }
  client_.transport = "doh";
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(stream_.native_handle(), &alpn, &alpn_length);
  const std::string_view selected(reinterpret_cast<const char*>(alpn), alpn_length);
  if (selected == "h2") {
    state_->stats.Add(&ServerCounters::http2_connections);
    protocol_ = std::make_unique<Http2Session>(*state_, sink, peer_);
  } else {
    // "http/1.1", or a client that sent no ALPN.
    state_->stats.Add(&ServerCounters::http1_connections);
    protocol_ = std::make_unique<Http1Session>(*state_, sink, peer_);
  }
}

void TlsConnection::ReadMore() {
  if (reading_ || closed_ || shutting_down_ || close_after_write_) return;
  if (!CanSubmit() || !protocol_->WantsInput()) return;
  reading_ = true;
  stream_.async_read_some(asio::buffer(read_chunk_),
                          [self = shared_from_this()](const asio::error_code& error,
                                                      size_t bytes) {
                            self->OnRead(error, bytes);
                          });
}

void TlsConnection::OnRead(const asio::error_code& error, size_t bytes) {
  reading_ = false;
  if (closed_ || shutting_down_) return;
  if (error) {
    if (error == asio::error::eof) {
      // A clean close_notify from the client: the session stays resumable
      // (OpenSSL drops a session whose connection ends without one).
      SSL* ssl = stream_.native_handle();
      SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_SENT_SHUTDOWN);
    } else if (!IsPeerClose(error)) {
      state_->LogError("read failed", peer_, error.message());
    }
    Close("");
    return;
  }
  last_activity_ = std::chrono::steady_clock::now();
  ++reads_since_write_check_;
  in_protocol_call_ = true;
  const bool keep_open = protocol_->OnReceive(std::string_view(read_chunk_.data(), bytes));
  in_protocol_call_ = false;
  AfterProtocolCall(keep_open);
}

void TlsConnection::SubmitQuery(std::string query, uint64_t request_id) {
  ++in_flight_;
  state_->stats.Add(&ServerCounters::queries);
  state_->handler->HandleQuery(
      std::move(query), client_,
      [self = shared_from_this(), request_id](std::string response) {
        // On this connection's own thread the response is delivered at
        // once (Deliver() defers it if a protocol call is running). From
        // any other thread it is posted to this connection's event loop.
        if (self->io_context_->get_executor().running_in_this_thread()) {
          self->Deliver(request_id, std::move(response));
          return;
        }
        asio::post(self->stream_.get_executor(),
                   [self, request_id, response = std::move(response)]() mutable {
                     self->Deliver(request_id, std::move(response));
                   });
      });
}

bool TlsConnection::CanSubmit() const {
  return in_flight_ < state_->options.limits.max_queries_per_connection;
}

void TlsConnection::Deliver(uint64_t request_id, std::string response) {
  --in_flight_;
  if (closed_ || shutting_down_) {
    state_->stats.Add(&ServerCounters::responses_after_close);
    return;
  }
  if (in_protocol_call_) {
    deferred_responses_.emplace_back(request_id, std::move(response));
    return;
  }
  in_protocol_call_ = true;
  const bool keep_open = protocol_->OnResponse(request_id, std::move(response));
  in_protocol_call_ = false;
  AfterProtocolCall(keep_open);
}

void TlsConnection::AfterProtocolCall(bool keep_open) {
  while (keep_open && !deferred_responses_.empty()) {
    auto [request_id, response] = std::move(deferred_responses_.front());
    deferred_responses_.pop_front();
    in_protocol_call_ = true;
    keep_open = protocol_->OnResponse(request_id, std::move(response));
    in_protocol_call_ = false;
  }
  if (closed_ || shutting_down_) return;
  if (!keep_open || protocol_->Finished()) close_after_write_ = true;
  if (close_after_write_) {
    WriteMore();
    return;
  }
  // The read goes first: when more requests wait in the TLS buffer, its
  // completion is queued ahead of the write, so their responses leave in
  // the same write and TLS record.
  ReadMore();
  ScheduleWrite();
}

void TlsConnection::ScheduleWrite() {
  if (write_scheduled_ || writing_) return;
  // Responses that completed later, with no read since the last write
  // (an upstream answer, an install acknowledgement), leave at once.
  if (reads_since_write_check_ == 0) {
    WriteMore();
    return;
  }
  write_scheduled_ = true;
  reads_since_write_check_ = 0;
  PostWriteCheck(0);
}

void TlsConnection::PostWriteCheck(int round) {
  asio::post(stream_.get_executor(), [self = shared_from_this(), round] {
    // A read that completed since the last check came from the TLS
    // buffer, so more requests may be waiting there: let them in first.
    if (self->reads_since_write_check_ > 0 && round < kMaxWriteDeferrals) {
      self->reads_since_write_check_ = 0;
      self->PostWriteCheck(round + 1);
      return;
    }
    self->write_scheduled_ = false;
    self->WriteMore();
  });
}

void TlsConnection::WriteMore() {
  if (writing_ || closed_ || shutting_down_) return;
  // The buffer is reused, so it is not reallocated in steady state.
  write_buffer_.clear();
  protocol_->TakeOutput(write_buffer_);
  if (write_buffer_.empty()) {
    if (close_after_write_ || protocol_->Finished()) Shutdown(close_reason_);
    return;
  }
  writing_ = true;
  asio::async_write(stream_, asio::buffer(write_buffer_),
                    [self = shared_from_this()](const asio::error_code& error, size_t) {
                      self->OnWritten(error);
                    });
}

void TlsConnection::OnWritten(const asio::error_code& error) {
  writing_ = false;
  if (closed_ || shutting_down_) return;
  if (error) {
    if (!IsPeerClose(error)) state_->LogError("write failed", peer_, error.message());
    Close("");
    return;
  }
  WriteMore();
}

void TlsConnection::ArmIdleTimer() {
  timer_.expires_at(last_activity_ + ToChrono(state_->options.limits.idle_timeout));
  timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    self->OnIdleTimer(error);
  });
}

void TlsConnection::OnIdleTimer(const asio::error_code& error) {
  if (error || closed_ || shutting_down_) return;
  // Reads move last_activity_ forward instead of re-arming the timer per
  // read; on expiry the timer is re-armed for what is left.
  const auto now = std::chrono::steady_clock::now();
  if (in_flight_ > 0 || writing_) last_activity_ = now;
  if (now < last_activity_ + ToChrono(state_->options.limits.idle_timeout)) {
    ArmIdleTimer();
    return;
  }
  state_->stats.Add(&ServerCounters::idle_timeouts);
  CloseGracefully("idle timeout");
}

void TlsConnection::CloseFromAnyThread() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->established_) {
      self->CloseGracefully("server stopping");
    } else {
      self->Close("server stopping");
    }
  });
}

void TlsConnection::CloseGracefully(std::string reason) {
  if (closed_ || shutting_down_ || close_after_write_) return;
  close_after_write_ = true;
  close_reason_ = std::move(reason);
  protocol_->PrepareClose();
  WriteMore();
}

void TlsConnection::Shutdown(std::string reason) {
  if (closed_ || shutting_down_) return;
  shutting_down_ = true;
  timer_.expires_after(kShutdownTimeout);
  timer_.async_wait([self = shared_from_this(), reason](const asio::error_code& error) {
    if (!error) self->Close(reason);
  });
  // Completes when the client sends its own close_notify or closes. Either
  // way the connection is done.
  stream_.async_shutdown([self = shared_from_this(), reason](const asio::error_code&) {
    self->Close(reason);
  });
}

void TlsConnection::Abort() {
  closed_ = true;
  asio::error_code ignored;
  stream_.lowest_layer().close(ignored);
}

void TlsConnection::Close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) spdlog::debug("{}: closing {}: {}", state_->name(), peer_, reason);
  timer_.cancel();
  asio::error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  state_->stats.Add(&ServerCounters::connections_closed);
  state_->Unregister(this, client_.address);
}

}  // namespace ztgate::resolver::transport
