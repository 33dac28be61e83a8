// One persistent DoT connection to an upstream; see upstream_connection.h.
#include "resolver/transport/upstream_connection.h"

#include <random>

#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "common/str_cat.h"
#include "resolver/transport/asio_endpoint.h"

namespace ztgate::resolver::transport {
namespace {

constexpr size_t kDnsHeaderBytes = 12;
constexpr size_t kMaxWriteBatchBytes = 64 * 1024;
constexpr std::chrono::milliseconds kInitialBackoff{100};
// Queries in flight on one connection; below the 65536 IDs so that finding
// a free ID stays quick.
constexpr size_t kMaxInFlight = 60000;

uint16_t ReadId(std::string_view message) {
  return static_cast<uint16_t>((static_cast<uint8_t>(message[0]) << 8) |
                               static_cast<uint8_t>(message[1]));
}

void WriteId(std::string& message, uint16_t id) {
  message[0] = static_cast<char>(id >> 8);
  message[1] = static_cast<char>(id & 0xff);
}

uint16_t QuestionCount(std::string_view message) {
  return static_cast<uint16_t>((static_cast<uint8_t>(message[4]) << 8) |
                               static_cast<uint8_t>(message[5]));
}

// The first question (name, type, class) following the header; "" when the
// message has none or it is malformed. Queries carry uncompressed names
// (RFC 1035 section 4.1.4 compresses only against earlier names), and an
// upstream echoes the question as received, so a byte comparison suffices.
std::string_view FirstQuestion(std::string_view message) {
  if (message.size() < kDnsHeaderBytes || QuestionCount(message) == 0) return {};
  size_t offset = kDnsHeaderBytes;
  while (offset < message.size()) {
    const uint8_t length = static_cast<uint8_t>(message[offset]);
    if (length == 0) break;
    if (length > 63) return {};  // A compression pointer or reserved label type.
    offset += 1 + length;
  }
  // Root label, type and class.
  if (offset + 1 + 4 > message.size()) return {};
  return message.substr(kDnsHeaderBytes, offset + 1 + 4 - kDnsHeaderBytes);
}

std::string EndpointName(const Endpoint& endpoint) { return endpoint.ToString(); }

}  // namespace

UpstreamConnection::UpstreamConnection(
    asio::io_context& io_context, const UpstreamConfig& config,
    std::shared_ptr<asio::ssl::context> tls_context, absl::Duration max_backoff,
    std::shared_ptr<AtomicCounters<UpstreamPoolCounters>> stats)
    : io_context_(io_context),
      config_(config),
      name_(EndpointName(config.endpoint)),
      tls_context_(std::move(tls_context)),
      max_backoff_(std::chrono::milliseconds(absl::ToInt64Milliseconds(max_backoff))),
      stats_(std::move(stats)),
      connect_deadline_(io_context),
      next_id_(static_cast<uint16_t>(std::random_device{}())) {}

void UpstreamConnection::Send(std::string query, UpstreamCallback done) {
  asio::post(io_context_, [self = shared_from_this(), query = std::move(query),
                           done = std::move(done)]() mutable {
    self->SendOnLoop(std::move(query), std::move(done));
  });
}

void UpstreamConnection::SendOnLoop(std::string query, UpstreamCallback done) {
  if (state_ == State::kBackoff) {
    if (std::chrono::steady_clock::now() < backoff_until_) {
      done(absl::UnavailableError(StrCat("upstream ", name_, ": reconnect backoff after a failed connect")));
      return;
    }
    state_ = State::kIdle;
  }
  if (in_flight_.size() >= kMaxInFlight) {
    done(absl::ResourceExhaustedError(StrCat("upstream ", name_, ": too many queries in flight")));
    return;
  }
  const uint16_t id = AllocateId();
  Query& entry = in_flight_[id];
  entry.original_id = ReadId(query);
  entry.question = std::string(FirstQuestion(query));
  entry.done = std::move(done);
  entry.deadline = std::make_unique<asio::steady_timer>(io_context_);
  entry.deadline->expires_after(absl::ToChronoNanoseconds(config_.timeout));
  entry.deadline->async_wait([self = shared_from_this(), id](const asio::error_code& error) {
    self->OnQueryDeadline(id, error);
  });
  WriteId(query, id);
  Enqueue(query);
  if (state_ == State::kIdle) Connect();
  if (state_ == State::kConnected) WriteMore();
}

uint16_t UpstreamConnection::AllocateId() {
  while (in_flight_.contains(next_id_)) ++next_id_;
  return next_id_++;
}

void UpstreamConnection::Enqueue(const std::string& wire) {
  std::string frame;
  frame.reserve(2 + wire.size());
  frame.push_back(static_cast<char>(wire.size() >> 8));
  frame.push_back(static_cast<char>(wire.size() & 0xff));
  frame.append(wire);
  write_queue_.push_back(std::move(frame));
}

void UpstreamConnection::Connect() {
  state_ = State::kConnecting;
  ++generation_;
  stream_ = std::make_unique<Stream>(io_context_, *tls_context_);
  SSL* ssl = stream_->native_handle();
  if (absl::Status s = PrepareUpstreamSsl(ssl, config_); !s.ok()) {
    Fail(absl::UnavailableError(StrCat("upstream ", name_, ": ", s.message())), true);
    return;
  }
  if (session_ != nullptr) SSL_set_session(ssl, session_.get());
  read_buffer_.clear();
  // The connect and the handshake together get the query timeout: an
  // upstream that accepts TCP and never completes TLS must not hold the
  // connection in kConnecting forever.
  connect_deadline_.expires_after(absl::ToChronoNanoseconds(config_.timeout));
  connect_deadline_.async_wait(
      [self = shared_from_this(), generation = generation_](const asio::error_code& error) {
        self->OnConnectDeadline(generation, error);
      });
  stream_->lowest_layer().async_connect(
      ToAsio(config_.endpoint),
      [self = shared_from_this(), generation = generation_](const asio::error_code& error) {
        if (generation != self->generation_) return;
        self->OnConnected(error);
      });
}

void UpstreamConnection::OnConnected(const asio::error_code& error) {
  if (state_ != State::kConnecting) return;
  if (error) {
    Fail(absl::UnavailableError(StrCat("connecting to upstream ", name_, " failed: ",
                                       error.message())),
         true);
    return;
  }
  asio::error_code ignored;
  stream_->lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
  stream_->async_handshake(
      asio::ssl::stream_base::client,
      [self = shared_from_this(), generation = generation_](const asio::error_code& error) {
        if (generation != self->generation_) return;
        self->OnHandshake(error);
      });
}

void UpstreamConnection::OnHandshake(const asio::error_code& error) {
  if (state_ != State::kConnecting) return;
  SSL* ssl = stream_->native_handle();
  if (error) {
    std::string detail = error.message();
    if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
      detail = StrCat(detail, " (certificate: ", X509_verify_cert_error_string(verify), ")");
    }
    Fail(absl::UnavailableError(
             StrCat("TLS handshake with upstream ", name_, " failed: ", detail)),
         true);
    return;
  }
  if (absl::Status pins = CheckSpkiPins(ssl, config_.spki_pins); !pins.ok()) {
    stats_->Add(&UpstreamPoolCounters::pin_failures);
    Fail(absl::UnavailableError(StrCat("upstream ", name_, ": ", pins.message())), true);
    return;
  }
  connect_deadline_.cancel();
  state_ = State::kConnected;
  backoff_ = std::chrono::milliseconds(0);
  stats_->Add(&UpstreamPoolCounters::connects);
  spdlog::debug("upstream {}: connected ({}{})", name_, SSL_get_version(ssl),
                SSL_session_reused(ssl) ? ", resumed" : "");
  ReadMore();
  WriteMore();
}

void UpstreamConnection::OnConnectDeadline(uint64_t generation, const asio::error_code& error) {
  if (error || generation != generation_ || state_ != State::kConnecting) return;
  Fail(absl::DeadlineExceededError(StrCat("connecting to upstream ", name_, " timed out after ",
                                          absl::FormatDuration(config_.timeout))),
       true);
}

void UpstreamConnection::ReadMore() {
  stream_->async_read_some(
      asio::buffer(read_chunk_),
      [self = shared_from_this(), generation = generation_](const asio::error_code& error,
                                                            size_t bytes) {
        if (generation != self->generation_) return;
        self->OnRead(error, bytes);
      });
}

void UpstreamConnection::OnRead(const asio::error_code& error, size_t bytes) {
  if (state_ != State::kConnected) return;
  if (error) {
    // An upstream closing an idle connection is normal; the next query
    // reconnects. Only queries in flight make it a failure.
    if (in_flight_.empty()) {
      spdlog::debug("upstream {}: connection closed while idle ({})", name_, error.message());
    }
    Fail(absl::UnavailableError(
             StrCat("connection to upstream ", name_, " lost: ", error.message())),
         false);
    return;
  }
  read_buffer_.append(read_chunk_.data(), bytes);
  size_t offset = 0;
  while (read_buffer_.size() - offset >= 2) {
    const size_t length = (size_t{static_cast<uint8_t>(read_buffer_[offset])} << 8) |
                          static_cast<uint8_t>(read_buffer_[offset + 1]);
    if (read_buffer_.size() - offset - 2 < length) break;
    HandleResponse(read_buffer_.substr(offset + 2, length));
    offset += 2 + length;
  }
  read_buffer_.erase(0, offset);
  if (state_ == State::kConnected) ReadMore();
}

void UpstreamConnection::HandleResponse(std::string response) {
  if (response.size() < kDnsHeaderBytes) {
    stats_->Add(&UpstreamPoolCounters::mismatched_responses);
    LogError(StrCat("upstream ", name_, ": response of ", response.size(),
                    " bytes is shorter than a DNS header"),
             "");
    return;
  }
  const uint16_t id = ReadId(response);
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) {
    // Most often the late answer to a query that already timed out.
    stats_->Add(&UpstreamPoolCounters::mismatched_responses);
    return;
  }
  // A response without a question (FORMERR, for one) is accepted by ID.
  const std::string_view question = FirstQuestion(response);
  if (QuestionCount(response) != 0 &&
      !absl::EqualsIgnoreCase(ToAbsl(question), ToAbsl(it->second.question))) {
    stats_->Add(&UpstreamPoolCounters::mismatched_responses);
    LogError(StrCat("upstream ", name_, ": response question differs from the query"),
             StrCat("ID ", id));
    return;
  }
  if (session_ == nullptr) {
    // TLS 1.3 tickets arrive after the handshake, so the session is taken
    // once the first response has been read.
    session_.reset(SSL_get1_session(stream_->native_handle()));
  }
  WriteId(response, it->second.original_id);
  Complete(id, std::move(response));
}

void UpstreamConnection::WriteMore() {
  if (writing_ || state_ != State::kConnected || write_queue_.empty()) return;
  write_buffer_.clear();
  while (!write_queue_.empty() &&
         (write_buffer_.empty() ||
          write_buffer_.size() + write_queue_.front().size() <= kMaxWriteBatchBytes)) {
    write_buffer_.append(write_queue_.front());
    write_queue_.pop_front();
  }
  writing_ = true;
  asio::async_write(
      *stream_, asio::buffer(write_buffer_),
      [self = shared_from_this(), generation = generation_](const asio::error_code& error,
                                                            size_t) {
        if (generation != self->generation_) return;
        self->OnWritten(error);
      });
}

void UpstreamConnection::OnWritten(const asio::error_code& error) {
  writing_ = false;
  if (state_ != State::kConnected) return;
  if (error) {
    Fail(absl::UnavailableError(
             StrCat("writing to upstream ", name_, " failed: ", error.message())),
         false);
    return;
  }
  WriteMore();
}

void UpstreamConnection::OnQueryDeadline(uint16_t id, const asio::error_code& error) {
  if (error) return;
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  // A completion queued before the query finished and its ID was reused.
  if (it->second.deadline->expiry() > std::chrono::steady_clock::now()) return;
  Complete(id, absl::DeadlineExceededError(StrCat("upstream ", name_, " sent no response within ",
                                                  absl::FormatDuration(config_.timeout))));
}

void UpstreamConnection::Complete(uint16_t id, absl::StatusOr<std::string> result) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  UpstreamCallback done = std::move(it->second.done);
  it->second.deadline->cancel();
  in_flight_.erase(it);
  done(std::move(result));
}

void UpstreamConnection::Fail(const absl::Status& status, bool connect_failed) {
  ++generation_;
  connect_deadline_.cancel();
  if (stream_ != nullptr) {
    asio::error_code ignored;
    stream_->lowest_layer().close(ignored);
  }
  writing_ = false;
  write_queue_.clear();
  if (connect_failed) {
    stats_->Add(&UpstreamPoolCounters::connect_failures);
    // A resumed session the upstream no longer accepts must not be retried.
    session_.reset();
    backoff_ = std::min(backoff_.count() == 0 ? kInitialBackoff : backoff_ * 2, max_backoff_);
    backoff_until_ = std::chrono::steady_clock::now() + backoff_;
    state_ = State::kBackoff;
    LogError(std::string(status.message()), StrCat("retrying after ", backoff_.count(), " ms"));
  } else {
    state_ = State::kIdle;
    if (!in_flight_.empty()) LogError(std::string(status.message()), "");
  }
  std::vector<uint16_t> ids;
  ids.reserve(in_flight_.size());
  for (const auto& [id, query] : in_flight_) ids.push_back(id);
  for (uint16_t id : ids) Complete(id, status);
}

void UpstreamConnection::Shutdown() {
  asio::post(io_context_, [self = shared_from_this()] {
    if (self->state_ == State::kIdle && self->in_flight_.empty()) return;
    self->Fail(absl::UnavailableError(StrCat("upstream ", self->name_, ": shutting down")),
               false);
  });
}

void UpstreamConnection::LogError(std::string_view message, std::string_view detail) {
  uint64_t suppressed = 0;
  if (!log_limiter_.Allow(suppressed)) return;
  spdlog::warn("{}{}{}{}", message, detail.empty() ? "" : "; ", detail,
               suppressed > 0 ? StrCat(" (", suppressed, " similar errors not logged)") : "");
}

}  // namespace ztgate::resolver::transport
