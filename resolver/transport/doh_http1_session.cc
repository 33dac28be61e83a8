// DoH over HTTP/1.1; see doh_http1_session.h.
#include "resolver/transport/doh_http1_session.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/parse_number.h"
#include "common/str_cat.h"
#include "resolver/transport/transport_limits.h"

namespace ztgate::resolver::transport {
namespace {

// The request head fields the DoH server acts on.
struct RequestHead {
  std::string_view method;
  std::string_view target;
  bool http10 = false;
  std::string_view content_type;
  std::optional<size_t> content_length;
  bool has_transfer_encoding = false;
  bool has_host = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool expect_continue = false;
};

// Returns the offset just past the blank line that ends the head in
// `input`, or npos. Lines end in CRLF; a bare LF is accepted too (RFC 9112
// section 2.2).
size_t FindHeadEnd(std::string_view input) {
  for (size_t newline = input.find('\n'); newline != std::string_view::npos;
       newline = input.find('\n', newline + 1)) {
    size_t next = newline + 1;
    if (next < input.size() && input[next] == '\r') ++next;
    if (next < input.size() && input[next] == '\n') return next + 1;
  }
  return std::string_view::npos;
}

std::string_view TrimLine(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

// Whether the comma-separated `list` contains `token`, ignoring case.
bool HasToken(std::string_view list, std::string_view token) {
  for (absl::string_view item : absl::StrSplit(ToAbsl(list), ',')) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(item), ToAbsl(token))) return true;
  }
  return false;
}

// Parses the request line: method, target and version. Returns an error
// message, or an empty view on success.
std::string_view ParseRequestLine(std::string_view line, RequestHead& head) {
  const size_t first_space = line.find(' ');
  const size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return "malformed request line\n";
  }
  head.method = line.substr(0, first_space);
  head.target = line.substr(first_space + 1, last_space - first_space - 1);
  const std::string_view version = line.substr(last_space + 1);
  if (version == "HTTP/1.0") {
    head.http10 = true;
  } else if (version != "HTTP/1.1") {
    return "unsupported HTTP version\n";
  }
  // The absolute form (RFC 9112 section 3.2.2) names the same resource.
  for (std::string_view scheme : {"https://", "http://"}) {
    if (absl::StartsWithIgnoreCase(ToAbsl(head.target), ToAbsl(scheme))) {
      const size_t path = head.target.find('/', scheme.size());
      head.target = path == std::string_view::npos ? "/" : head.target.substr(path);
    }
  }
  if (head.method.empty() || !head.target.starts_with('/')) return "malformed request line\n";
  return {};
}

// Records one header field. Returns an error message or an empty view.
std::string_view ParseField(std::string_view line, RequestHead& head) {
  const size_t colon = line.find(':');
  // Leading whitespace would be an obsolete line folding (RFC 9112
  // section 5.2), which a server rejects.
  if (colon == std::string_view::npos || colon == 0 || line[0] == ' ' || line[0] == '\t') {
    return "malformed header field\n";
  }
  const absl::string_view name = ToAbsl(line.substr(0, colon));
  if (absl::StrContains(name, ' ') || absl::StrContains(name, '\t')) {
    return "malformed header field\n";
  }
  const std::string_view value = ToStd(absl::StripAsciiWhitespace(ToAbsl(line.substr(colon + 1))));
  if (absl::EqualsIgnoreCase(name, "content-length")) {
    size_t length = 0;
    if (!ParseDecimal(value, &length)) return "invalid Content-Length\n";
    if (head.content_length.has_value() && *head.content_length != length) {
      return "conflicting Content-Length fields\n";
    }
    head.content_length = length;
  } else if (absl::EqualsIgnoreCase(name, "content-type")) {
    head.content_type = value;
  } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
    head.has_transfer_encoding = true;
  } else if (absl::EqualsIgnoreCase(name, "host")) {
    head.has_host = true;
  } else if (absl::EqualsIgnoreCase(name, "connection")) {
    head.connection_close |= HasToken(value, "close");
    head.connection_keep_alive |= HasToken(value, "keep-alive");
  } else if (absl::EqualsIgnoreCase(name, "expect")) {
    head.expect_continue = absl::EqualsIgnoreCase(ToAbsl(value), "100-continue");
  }
  return {};
}

// Parses a whole head, the blank line excluded.
std::string_view ParseHead(std::string_view text, RequestHead& head) {
  size_t line_end = text.find('\n');
  if (std::string_view error = ParseRequestLine(TrimLine(text.substr(0, line_end)), head);
      !error.empty()) {
    return error;
  }
  while (line_end != std::string_view::npos && line_end + 1 < text.size()) {
    const size_t start = line_end + 1;
    line_end = text.find('\n', start);
    const std::string_view line = TrimLine(text.substr(start, line_end - start));
    if (line.empty()) break;
    if (std::string_view error = ParseField(line, head); !error.empty()) return error;
  }
  if (!head.http10 && !head.has_host) return "the Host header field is missing\n";
  return {};
}

}  // namespace

bool Http1Session::OnReceive(std::string_view bytes) {
  // Bytes after the final request are ignored.
  if (closing_ && !reading_body_) return true;
  input_.append(bytes);
  HandleRequests();
  return true;
}

void Http1Session::HandleRequests() {
  while (WantsInput()) {
    const bool progressed = reading_body_ ? HandleBody() : HandleHead();
    if (!progressed) break;
  }
}

bool Http1Session::HandleHead() {
  const size_t max_head = state_.options.doh.max_header_bytes;
  // The head, its blank line included, must fit in max_header_bytes.
  const size_t head_end = FindHeadEnd(std::string_view(input_).substr(0, max_head));
  if (head_end == std::string_view::npos) {
    if (input_.size() < max_head) return false;  // Wait for the rest.
    const uint64_t id = next_id_++;
    exchanges_.push_back(Exchange{.id = id, .ready = false, .head = false, .response = {}});
    if (input_.find('\n') > max_head) {
      RespondError(id, HttpStatus::kUriTooLong, "the request line is too long\n", true);
    } else {
      RespondError(id, HttpStatus::kHeaderFieldsTooLarge, "the request head is too large\n",
                   true);
    }
    return false;
  }

  RequestHead head;
  const std::string_view error = ParseHead(std::string_view(input_).substr(0, head_end), head);
  const uint64_t id = next_id_++;
  exchanges_.push_back(Exchange{.id = id, .ready = false, .head = false, .response = {}});
  if (!error.empty()) {
    RespondError(id, HttpStatus::kBadRequest, error, true);
    return false;
  }
  exchanges_.back().head = head.method == "HEAD";
  if (head.has_transfer_encoding) {
    // NOTE: chunked request bodies are not decoded; DoH clients send a
    // Content-Length with their short POST bodies.
    RespondError(id, HttpStatus::kNotImplemented, "Transfer-Encoding is not supported\n", true);
    return false;
  }
  if (head.connection_close || (head.http10 && !head.connection_keep_alive)) closing_ = true;

  const DohHeadCheck check = CheckDohRequestHead(
      {.method = head.method, .target = head.target, .content_type = head.content_type},
      state_.options.doh.path);
  const size_t body_length = head.content_length.value_or(0);
  input_.erase(0, head_end);
  if (body_length > kMaxDnsMessageBytes) {
    // The body is not read, so the framing of what follows is lost.
    RespondError(id, HttpStatus::kContentTooLarge, "the DNS message is longer than 65535 bytes\n",
                 true);
    return false;
  }
  if (check.status != HttpStatus::kOk) {
    RespondError(id, check.status, check.error, false);
  } else if (!check.expects_body) {
    sink_.SubmitQuery(check.query, id);
  }
  reading_body_ = true;
  pending_body_ = {.id = id,
                   .length = body_length,
                   .is_query = check.status == HttpStatus::kOk && check.expects_body};
  if (head.expect_continue && input_.size() < body_length && exchanges_.size() == 1 &&
      check.expects_body) {
    output_.append("HTTP/1.1 100 Continue\r\n\r\n");
  }
  return true;
}

bool Http1Session::HandleBody() {
  if (input_.size() < pending_body_.length) return false;
  const std::string_view body = std::string_view(input_).substr(0, pending_body_.length);
  if (pending_body_.is_query) {
    std::string_view error;
    const HttpStatus status = CheckDohBody(body, error);
    if (status != HttpStatus::kOk) {
      RespondError(pending_body_.id, status, error, false);
    } else {
      sink_.SubmitQuery(std::string(body), pending_body_.id);
    }
  }
  input_.erase(0, pending_body_.length);
  reading_body_ = false;
  return true;
}

bool Http1Session::OnResponse(uint64_t request_id, std::string response) {
  if (response.size() < kDnsHeaderBytes || response.size() > kMaxDnsMessageBytes) {
    state_.stats.Add(&ServerCounters::responses_dropped);
    RespondError(request_id, HttpStatus::kBadGateway, "no DNS response\n", false);
  } else {
    state_.stats.Add(&ServerCounters::responses);
    Respond(request_id, HttpStatus::kOk, kDnsMessageType, CacheControlFor(response), response);
  }
  // The pipeline has room again.
  HandleRequests();
  return true;
}

void Http1Session::RespondError(uint64_t id, HttpStatus status, std::string_view error,
                                bool close) {
  if (close) {
    closing_ = true;
    reading_body_ = false;
    input_.clear();
  }
  Respond(id, status, "text/plain; charset=utf-8", "no-store", error);
}

void Http1Session::Respond(uint64_t id, HttpStatus status, std::string_view content_type,
                           std::string_view cache_control, std::string_view body) {
  CountHttpStatus(state_.stats, status);
  auto exchange = std::find_if(exchanges_.begin(), exchanges_.end(),
                               [id](const Exchange& e) { return e.id == id; });
  if (exchange == exchanges_.end()) return;
  // The last response before the connection closes carries
  // "Connection: close".
  const bool last = closing_ && &*exchange == &exchanges_.back();
  exchange->response = StrCat(
      "HTTP/1.1 ", static_cast<int>(status), " ", ReasonPhrase(status), "\r\n",
      "date: ", HttpDate(), "\r\n",
      "content-type: ", content_type, "\r\n",
      "content-length: ", body.size(), "\r\n",
      "cache-control: ", cache_control, "\r\n",
      status == HttpStatus::kMethodNotAllowed ? "allow: GET, POST\r\n" : "",
      last ? "connection: close\r\n" : "", "\r\n", exchange->head ? "" : body);
  exchange->ready = true;
  ReleaseReady();
}

void Http1Session::ReleaseReady() {
  while (!exchanges_.empty() && exchanges_.front().ready) {
    output_.append(exchanges_.front().response);
    exchanges_.pop_front();
  }
}

void Http1Session::TakeOutput(std::string& out) {
  // The connection passes an empty buffer, so swapping saves a copy.
  if (out.empty()) {
    out.swap(output_);
  } else {
    out.append(output_);
  }
  output_.clear();
}

bool Http1Session::WantsInput() const {
  if (reading_body_) return true;
  return !closing_ && exchanges_.size() < state_.options.limits.max_queries_per_connection;
}

bool Http1Session::Finished() const {
  return closing_ && !reading_body_ && exchanges_.empty() && output_.empty();
}

}  // namespace ztgate::resolver::transport
