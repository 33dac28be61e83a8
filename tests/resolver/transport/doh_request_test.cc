// Unit tests of the DoH request rules (method, path, content type, GET
// decoding, body size) and of the Cache-Control value taken from a
// response's smallest TTL.
#include "resolver/transport/doh_request.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "common/str_cat.h"
#include "resolver/dns/message_ttl.h"
#include "tests/resolver/dns_samples.h"

namespace ztgate::resolver::transport {
namespace {

constexpr std::string_view kPath = "/dns-query";

std::string Encoded(std::string_view bytes, bool padded) {
  std::string encoded;
  if (padded) {
    encoded = absl::Base64Escape(ToAbsl(bytes));
    for (char& c : encoded) {
      if (c == '+') c = '-';
      if (c == '/') c = '_';
    }
  } else {
    absl::WebSafeBase64Escape(ToAbsl(bytes), &encoded);
  }
  return encoded;
}

DohHeadCheck Get(std::string_view target) {
  return CheckDohRequestHead({.method = "GET", .target = target, .content_type = ""}, kPath);
}

TEST(DohRequestTest, GetDecodesBase64UrlWithAndWithoutPadding) {
  // 13 bytes, so the padded form ends in "==".
  const std::string query = dns::samples::Query("a.example", 1, 0, false, false).substr(0, 13);
  for (bool padded : {false, true}) {
    SCOPED_TRACE(padded);
    const DohHeadCheck check = Get(StrCat("/dns-query?dns=", Encoded(query, padded)));
    ASSERT_EQ(check.status, HttpStatus::kOk) << check.error;
    EXPECT_FALSE(check.expects_body);
    EXPECT_EQ(check.query, query);
  }
}

TEST(DohRequestTest, GetFindsDnsAmongOtherParameters) {
  const std::string query = dns::samples::Query("a.example", 1, 0, false, false);
  const DohHeadCheck check = Get(StrCat("/dns-query?ct=x&dns=", Encoded(query, false), "&z"));
  ASSERT_EQ(check.status, HttpStatus::kOk) << check.error;
  EXPECT_EQ(check.query, query);
}

TEST(DohRequestTest, GetErrors) {
  EXPECT_EQ(Get("/dns-query").status, HttpStatus::kBadRequest);
  EXPECT_EQ(Get("/dns-query?dnsx=AAAA").status, HttpStatus::kBadRequest);
  EXPECT_EQ(Get("/dns-query?dns=").status, HttpStatus::kBadRequest);
  EXPECT_EQ(Get("/dns-query?dns=a+b/").status, HttpStatus::kBadRequest)
      << "'+' and '/' belong to base64, not base64url";
  EXPECT_EQ(Get(StrCat("/dns-query?dns=", Encoded("short", false))).status,
            HttpStatus::kBadRequest);
  EXPECT_EQ(Get(StrCat("/dns-query?dns=", std::string(90000, 'A'))).status,
            HttpStatus::kContentTooLarge);
  EXPECT_EQ(Get("/dns-query/?dns=AAAA").status, HttpStatus::kNotFound);
  EXPECT_EQ(Get("/").status, HttpStatus::kNotFound);
}

TEST(DohRequestTest, MethodsAndContentTypes) {
  const auto check = [](std::string_view method, std::string_view content_type) {
    return CheckDohRequestHead(
        {.method = method, .target = "/dns-query", .content_type = content_type}, kPath);
  };
  EXPECT_EQ(check("POST", "application/dns-message").status, HttpStatus::kOk);
  EXPECT_TRUE(check("POST", "application/dns-message").expects_body);
  EXPECT_EQ(check("POST", " Application/DNS-Message ; q=1").status, HttpStatus::kOk);
  EXPECT_EQ(check("POST", "").status, HttpStatus::kUnsupportedMediaType);
  EXPECT_EQ(check("POST", "application/dns-udpwireformat").status,
            HttpStatus::kUnsupportedMediaType);
  for (std::string_view method : {"PUT", "DELETE", "HEAD", "OPTIONS", "get"}) {
    SCOPED_TRACE(method);
    EXPECT_EQ(check(method, "").status, HttpStatus::kMethodNotAllowed);
  }
}

TEST(DohRequestTest, BodySizes) {
  std::string_view error;
  EXPECT_EQ(CheckDohBody(std::string(12, 'x'), error), HttpStatus::kOk);
  EXPECT_EQ(CheckDohBody(std::string(11, 'x'), error), HttpStatus::kBadRequest);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(CheckDohBody(std::string(65535, 'x'), error), HttpStatus::kOk);
  EXPECT_EQ(CheckDohBody(std::string(65536, 'x'), error), HttpStatus::kContentTooLarge);
}

TEST(DohRequestTest, CacheControlTakesSmallestTtl) {
  EXPECT_EQ(CacheControlFor(dns::samples::AnswerA()), "max-age=300");
  // CNAME 3600 and 300, then A and AAAA 20.
  EXPECT_EQ(CacheControlFor(dns::samples::AnswerCnameChain()), "max-age=20");
  // SOA TTL 3600 with MINIMUM 300; SOA TTL 60 with MINIMUM 600.
  EXPECT_EQ(CacheControlFor(dns::samples::AnswerNxdomain()), "max-age=300");
  EXPECT_EQ(CacheControlFor(dns::samples::AnswerNodata()), "max-age=60");
  // A query has no records.
  EXPECT_EQ(CacheControlFor(dns::samples::Query("a.example", 1, 0, true, false)), "max-age=0");
}

TEST(MessageTtlTest, MalformedMessagesHaveNoTtl) {
  const std::string answer = dns::samples::AnswerA();
  for (size_t length = 0; length < answer.size(); ++length) {
    const std::optional<uint32_t> ttl = dns::MinimumTtl(answer.substr(0, length));
    // A cut inside the additional section still leaves the answer whole.
    if (ttl.has_value()) {
      EXPECT_EQ(*ttl, 300u) << "cut at " << length;
    }
  }
  EXPECT_EQ(dns::MinimumTtl("short"), std::nullopt);
}

TEST(MessageTtlTest, TtlWithTopBitIsZero) {
  std::string answer = dns::samples::AnswerA();
  const std::optional<uint32_t> before = dns::MinimumTtl(answer);
  ASSERT_EQ(before, 300u);
  // Find the TTL 300 (0x0000012c) of the A record and set its top bit.
  const size_t at = answer.find(std::string("\x00\x00\x01\x2c", 4));
  ASSERT_NE(at, std::string::npos);
  answer[at] = static_cast<char>(0x80);
  EXPECT_EQ(dns::MinimumTtl(answer), 0u);
}

TEST(HttpDateTest, ImfFixdateShape) {
  const std::string_view date = HttpDate();
  // "Fri, 04 Dec 2026 22:42:17 GMT"
  ASSERT_EQ(date.size(), 29u);
  EXPECT_EQ(date.substr(3, 2), ", ");
  EXPECT_TRUE(date.ends_with(" GMT"));
}

}  // namespace
}  // namespace ztgate::resolver::transport
