// DoH request checks and response header values; see doh_request.h.
#include "resolver/transport/doh_request.h"

#include <ctime>
#include <optional>

#include <fmt/chrono.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/str_cat.h"
#include "resolver/dns/message_ttl.h"
#include "resolver/transport/transport_limits.h"

namespace ztgate::resolver::transport {
namespace {

// Returns the value of parameter `key` in `query` ("a=1&dns=..."), or
// nullopt when it is absent.
std::optional<std::string_view> QueryParameter(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    const size_t equals = pair.find('=');
    if (pair.substr(0, equals) == key) {
      return equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    }
    if (end == std::string_view::npos) break;
    query.remove_prefix(end + 1);
  }
  return std::nullopt;
}

// The media type without parameters, "application/dns-message; x=y" ->
// "application/dns-message".
std::string_view MediaType(std::string_view content_type) {
  return ToStd(absl::StripAsciiWhitespace(ToAbsl(content_type.substr(0, content_type.find(';')))));
}

DohHeadCheck Reject(HttpStatus status, std::string_view error) {
  DohHeadCheck check;
  check.status = status;
  check.error = error;
  return check;
}

DohHeadCheck CheckGet(std::string_view query_string) {
  const std::optional<std::string_view> encoded = QueryParameter(query_string, "dns");
  if (!encoded.has_value()) {
    return Reject(HttpStatus::kBadRequest, "the dns query parameter is missing\n");
  }
  // base64url without padding (RFC 8484 section 4.1); every decoded byte
  // takes 4/3 characters, so this rejects oversized input before decoding.
  if (encoded->size() > (kMaxDnsMessageBytes * 4 + 2) / 3 + 2) {
    return Reject(HttpStatus::kContentTooLarge, "the DNS message is longer than 65535 bytes\n");
  }
  DohHeadCheck check;
  if (!absl::WebSafeBase64Unescape(ToAbsl(*encoded), &check.query)) {
    return Reject(HttpStatus::kBadRequest, "the dns query parameter is not valid base64url\n");
  }
  if (check.query.size() < kDnsHeaderBytes) {
    return Reject(HttpStatus::kBadRequest, "the DNS message is shorter than a DNS header\n");
  }
  if (check.query.size() > kMaxDnsMessageBytes) {
    return Reject(HttpStatus::kContentTooLarge, "the DNS message is longer than 65535 bytes\n");
  }
  return check;
}

}  // namespace

std::string_view ReasonPhrase(HttpStatus status) {
  switch (status) {
    case HttpStatus::kOk: return "OK";
    case HttpStatus::kBadRequest: return "Bad Request";
    case HttpStatus::kNotFound: return "Not Found";
    case HttpStatus::kMethodNotAllowed: return "Method Not Allowed";
    case HttpStatus::kContentTooLarge: return "Content Too Large";
    case HttpStatus::kUriTooLong: return "URI Too Long";
    case HttpStatus::kUnsupportedMediaType: return "Unsupported Media Type";
    case HttpStatus::kHeaderFieldsTooLarge: return "Request Header Fields Too Large";
    case HttpStatus::kNotImplemented: return "Not Implemented";
    case HttpStatus::kBadGateway: return "Bad Gateway";
  }
  return "Unknown";
}

DohHeadCheck CheckDohRequestHead(const DohRequestHead& head, std::string_view path) {
  const size_t question = head.target.find('?');
  if (head.target.substr(0, question) != path) {
    return Reject(HttpStatus::kNotFound, "DNS queries are answered on another path\n");
  }
  if (head.method == "GET") {
    const std::string_view query_string =
        question == std::string_view::npos ? std::string_view() : head.target.substr(question + 1);
    return CheckGet(query_string);
  }
  if (head.method != "POST") {
    return Reject(HttpStatus::kMethodNotAllowed, "only GET and POST are allowed\n");
  }
  if (!absl::EqualsIgnoreCase(ToAbsl(MediaType(head.content_type)), ToAbsl(kDnsMessageType))) {
    return Reject(HttpStatus::kUnsupportedMediaType,
                  "the content type must be application/dns-message\n");
  }
  DohHeadCheck check;
  check.expects_body = true;
  return check;
}

HttpStatus CheckDohBody(std::string_view body, std::string_view& error) {
  if (body.size() > kMaxDnsMessageBytes) {
    error = "the DNS message is longer than 65535 bytes\n";
    return HttpStatus::kContentTooLarge;
  }
  if (body.size() < kDnsHeaderBytes) {
    error = "the DNS message is shorter than a DNS header\n";
    return HttpStatus::kBadRequest;
  }
  return HttpStatus::kOk;
}

std::string CacheControlFor(std::string_view response) {
  return StrCat("max-age=", dns::MinimumTtl(response).value_or(0));
}

std::string_view HttpDate() {
  thread_local time_t formatted_second = 0;
  thread_local std::string text;
  const time_t now = time(nullptr);
  if (now != formatted_second || text.empty()) {
    // fmt formats %a and %b in the C locale, as HTTP requires.
    text = fmt::format("{:%a, %d %b %Y %H:%M:%S} GMT", fmt::gmtime(now));
    formatted_second = now;
  }
  return text;
}

void CountHttpStatus(AtomicCounters<ServerCounters>& stats, HttpStatus status) {
  stats.Add(&ServerCounters::http_requests);
  switch (status) {
    case HttpStatus::kOk: break;
    case HttpStatus::kBadRequest: stats.Add(&ServerCounters::http_400_bad_request); break;
    case HttpStatus::kNotFound: stats.Add(&ServerCounters::http_404_not_found); break;
    case HttpStatus::kMethodNotAllowed:
      stats.Add(&ServerCounters::http_405_method_not_allowed);
      break;
    case HttpStatus::kContentTooLarge:
      stats.Add(&ServerCounters::http_413_content_too_large);
      break;
    case HttpStatus::kUriTooLong: stats.Add(&ServerCounters::http_414_uri_too_long); break;
    case HttpStatus::kUnsupportedMediaType:
      stats.Add(&ServerCounters::http_415_unsupported_media_type);
      break;
    case HttpStatus::kHeaderFieldsTooLarge:
      stats.Add(&ServerCounters::http_431_header_fields_too_large);
      break;
    case HttpStatus::kNotImplemented:
      stats.Add(&ServerCounters::http_501_not_implemented);
      break;
    case HttpStatus::kBadGateway: stats.Add(&ServerCounters::http_502_bad_gateway); break;
  }
}

}  // namespace ztgate::resolver::transport
