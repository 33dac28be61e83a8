// One client's DoT connection; see dot_connection.h.
#include "resolver/transport/dot_connection.h"

#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include "common/str_cat.h"

namespace ztgate::resolver::transport {
namespace {

// RFC 1035 section 4.1.1: the fixed header every DNS message starts with.
constexpr size_t kDnsHeaderBytes = 12;
constexpr size_t kMaxDnsMessageBytes = 65535;
// How long a closing connection waits to send its close_notify and receive
// the client's before the socket is closed anyway.
constexpr auto kShutdownTimeout = std::chrono::seconds(1);

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

DotConnection::DotConnection(std::shared_ptr<DotServerState> state,
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

const IpAddress& DotConnection::client_address() const { return client_.address; }

void DotConnection::Start() {
  timer_.expires_after(ToChrono(state_->options.handshake_timeout));
  timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (error || self->established_ || self->closed_) return;
    self->state_->stats.Add(&DotServerCounters::handshake_timeouts);
    self->Close("TLS handshake timed out");
  });
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](const asio::error_code& error) {
                            self->OnHandshake(error);
                          });
}

void DotConnection::OnHandshake(const asio::error_code& error) {
  if (closed_) return;
  if (error) {
    state_->stats.Add(&DotServerCounters::handshakes_failed);
    state_->LogError("TLS handshake failed", peer_, error.message());
    Close("");
    return;
  }
  established_ = true;
  SSL* ssl = stream_.native_handle();
  state_->stats.Add(&DotServerCounters::handshakes_completed);
  if (SSL_session_reused(ssl)) state_->stats.Add(&DotServerCounters::handshakes_resumed);
  // The handshake succeeded, so a certificate that is present has passed
  // verification against the client CA.
  if (X509* cert = SSL_get0_peer_certificate(ssl);
      cert != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
    client_.identity = ExtractIdentity(cert);
  }
  spdlog::debug("dot: {} connected ({}, identity {}:{})", peer_, SSL_get_version(ssl),
                IdentityKindName(client_.identity.kind), client_.identity.name);
  last_activity_ = std::chrono::steady_clock::now();
  ArmIdleTimer();
  ReadMore();
}

void DotConnection::ReadMore() {
  if (reading_ || closed_ || shutting_down_) return;
  if (in_flight_ >= state_->options.limits.max_queries_per_connection) return;
  reading_ = true;
  stream_.async_read_some(asio::buffer(read_chunk_),
                          [self = shared_from_this()](const asio::error_code& error,
                                                      size_t bytes) {
                            self->OnRead(error, bytes);
                          });
}

void DotConnection::OnRead(const asio::error_code& error, size_t bytes) {
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
  read_buffer_.append(read_chunk_.data(), bytes);
  last_activity_ = std::chrono::steady_clock::now();
  if (!DispatchFrames()) return;
  ReadMore();
}

bool DotConnection::DispatchFrames() {
  size_t offset = 0;
  dispatching_ = true;
  while (read_buffer_.size() - offset >= 2 &&
         in_flight_ < state_->options.limits.max_queries_per_connection) {
    const auto* prefix = reinterpret_cast<const uint8_t*>(read_buffer_.data() + offset);
    const size_t length = (size_t{prefix[0]} << 8) | prefix[1];
    if (length < kDnsHeaderBytes) {
      state_->stats.Add(&DotServerCounters::malformed_frames);
      state_->LogError("malformed frame", peer_,
                       StrCat("length ", length, " is shorter than a DNS header"));
      dispatching_ = false;
      Close("");
      return false;
    }
    if (read_buffer_.size() - offset - 2 < length) break;
    Dispatch(read_buffer_.substr(offset + 2, length));
    offset += 2 + length;
  }
  dispatching_ = false;
  read_buffer_.erase(0, offset);
  // Answers the handler completed synchronously leave in one write.
  WriteMore();
  return true;
}

void DotConnection::Dispatch(std::string query) {
  ++in_flight_;
  state_->stats.Add(&DotServerCounters::queries);
  state_->handler->HandleQuery(
      std::move(query), client_, [self = shared_from_this()](std::string response) {
        // On this connection's own thread the response is taken at once:
        // inside DispatchFrames() it is only queued (DispatchFrames writes
        // after its loop), elsewhere it is handled in full. From any other
        // thread it is posted to this connection's event loop.
        if (self->io_context_->get_executor().running_in_this_thread()) {
          if (self->dispatching_) {
            self->QueueResponse(std::move(response));
          } else {
            self->OnResponse(std::move(response));
          }
          return;
        }
        asio::post(self->stream_.get_executor(),
                   [self, response = std::move(response)]() mutable {
                     self->OnResponse(std::move(response));
                   });
      });
}

void DotConnection::QueueResponse(std::string response) {
  --in_flight_;
  if (closed_ || shutting_down_) {
    state_->stats.Add(&DotServerCounters::responses_after_close);
    return;
  }
  if (response.size() < kDnsHeaderBytes || response.size() > kMaxDnsMessageBytes) {
    state_->stats.Add(&DotServerCounters::responses_dropped);
    return;
  }
  pending_output_.push_back(static_cast<char>(response.size() >> 8));
  pending_output_.push_back(static_cast<char>(response.size() & 0xff));
  pending_output_.append(response);
  state_->stats.Add(&DotServerCounters::responses);
}

void DotConnection::OnResponse(std::string response) {
  QueueResponse(std::move(response));
  if (closed_ || shutting_down_) return;
  // Reading may have paused at the in-flight limit, with whole frames left.
  if (!DispatchFrames()) return;
  ReadMore();
}

void DotConnection::WriteMore() {
  if (writing_ || closed_ || shutting_down_ || pending_output_.empty()) return;
  // The frames queued since the last write go out together; the buffers
  // swap, so neither is reallocated in steady state.
  write_buffer_.clear();
  write_buffer_.swap(pending_output_);
  writing_ = true;
  asio::async_write(stream_, asio::buffer(write_buffer_),
                    [self = shared_from_this()](const asio::error_code& error, size_t) {
                      self->OnWritten(error);
                    });
}

void DotConnection::OnWritten(const asio::error_code& error) {
  writing_ = false;
  if (closed_ || shutting_down_) return;
  if (error) {
    if (!IsPeerClose(error)) state_->LogError("write failed", peer_, error.message());
    Close("");
    return;
  }
  WriteMore();
}

void DotConnection::ArmIdleTimer() {
  timer_.expires_at(last_activity_ + ToChrono(state_->options.limits.idle_timeout));
  timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    self->OnIdleTimer(error);
  });
}

void DotConnection::OnIdleTimer(const asio::error_code& error) {
  if (error || closed_ || shutting_down_) return;
  // Reads move last_activity_ forward instead of re-arming the timer per
  // read; on expiry the timer is re-armed for what is left.
  const auto now = std::chrono::steady_clock::now();
  if (in_flight_ > 0 || writing_) last_activity_ = now;
  if (now < last_activity_ + ToChrono(state_->options.limits.idle_timeout)) {
    ArmIdleTimer();
    return;
  }
  state_->stats.Add(&DotServerCounters::idle_timeouts);
  Shutdown("idle timeout");
}

void DotConnection::CloseFromAnyThread() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->established_) {
      self->Shutdown("server stopping");
    } else {
      self->Close("server stopping");
    }
  });
}

void DotConnection::Shutdown(std::string reason) {
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

void DotConnection::Abort() {
  closed_ = true;
  asio::error_code ignored;
  stream_.lowest_layer().close(ignored);
}

void DotConnection::Close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) spdlog::debug("dot: closing {}: {}", peer_, reason);
  timer_.cancel();
  asio::error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  state_->stats.Add(&DotServerCounters::connections_closed);
  state_->Unregister(this, client_.address);
}

}  // namespace ztgate::resolver::transport
