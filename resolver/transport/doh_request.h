// What DNS over HTTPS (RFC 8484) means for one HTTP request and response,
// shared by the HTTP/1.1 and HTTP/2 sessions: which requests carry a DNS
// query, the status sent for the others, and the header fields of an
// answer.
//
// Requests: GET with the query in the `dns` parameter (base64url, RFC 4648
// section 5; padding is tolerated), or POST with an application/dns-message
// body. Only the configured path accepts queries, and others get 404. Other
// methods get 405 and another POST content type 415. A missing or
// undecodable parameter, or a message shorter than a DNS header, gets 400,
// and a message over 65535 bytes 413.
// A message with a valid header but a malformed body is not an HTTP error:
// it goes to the handler, which answers FORMERR, as over DoT.
#ifndef ZTGATE_RESOLVER_TRANSPORT_DOH_REQUEST_H_
#define ZTGATE_RESOLVER_TRANSPORT_DOH_REQUEST_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "resolver/transport/transport_stats.h"

namespace ztgate::resolver::transport {

enum class HttpStatus : int {
  kOk = 200,
  kBadRequest = 400,
  kNotFound = 404,
  kMethodNotAllowed = 405,
  kContentTooLarge = 413,
  kUriTooLong = 414,
  kUnsupportedMediaType = 415,
  kHeaderFieldsTooLarge = 431,
  kNotImplemented = 501,
  kBadGateway = 502,
};

// The reason phrase of a status line (RFC 9110 section 15).
std::string_view ReasonPhrase(HttpStatus status);

// The parts of a request that decide it, as received.
struct DohRequestHead {
  std::string_view method;
  std::string_view target;        // Path and query ("origin-form").
  std::string_view content_type;  // Empty when absent.
};

// The verdict on a request head.
struct DohHeadCheck {
  // kOk: go on. Anything else: send this status and `error` as the body.
  HttpStatus status = HttpStatus::kOk;
  std::string_view error;
  // POST: the query is the body, still to be checked with CheckDohBody().
  bool expects_body = false;
  std::string query;  // GET: the decoded DNS message.
};

// Checks method, path, content type and, for GET, decodes the query.
DohHeadCheck CheckDohRequestHead(const DohRequestHead& head, std::string_view path);

// Checks a POST body; `error` receives the body of an error response.
HttpStatus CheckDohBody(std::string_view body, std::string_view& error);

// The Cache-Control value of a DNS response (RFC 8484 section 5.1): the
// smallest TTL of its answer and authority records, or 0 without records.
std::string CacheControlFor(std::string_view response);

// The current time as an IMF-fixdate for the Date header field (RFC 9110
// section 5.6.7), formatted at most once per second and thread.
std::string_view HttpDate();

// Counts a request answered with `status` (every status, 2xx included, in
// http_requests; errors also in their own counter).
void CountHttpStatus(AtomicCounters<ServerCounters>& stats, HttpStatus status);

// The media type of DNS messages over HTTP.
inline constexpr std::string_view kDnsMessageType = "application/dns-message";

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_DOH_REQUEST_H_
