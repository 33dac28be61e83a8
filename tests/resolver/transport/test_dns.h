// Minimal DNS message building and reading for the transport tests: a query
// for one name and type, and the ID, RCODE, EDE and A/AAAA addresses of a
// response. The transport itself never parses DNS beyond the header.
#ifndef ZTGATE_TESTS_RESOLVER_TRANSPORT_TEST_DNS_H_
#define ZTGATE_TESTS_RESOLVER_TRANSPORT_TEST_DNS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ztgate::resolver::transport::testing {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAaaa = 28;

// A recursion-desired query with an EDNS(0) OPT record.
std::string BuildQuery(uint16_t id, std::string_view name, uint16_t type);

struct ParsedResponse {
  uint16_t id = 0;
  uint8_t rcode = 0;
  uint16_t question_type = 0;
  std::vector<std::string> addresses;  // A and AAAA answers, as text.
  std::optional<uint16_t> extended_error;
};

std::optional<ParsedResponse> ParseResponse(std::string_view message);

}  // namespace ztgate::resolver::transport::testing

#endif  // ZTGATE_TESTS_RESOLVER_TRANSPORT_TEST_DNS_H_
