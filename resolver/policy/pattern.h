// Name patterns of the policy: "host.example.com" matches that name only,
// "*.example.com" matches every name below example.com (not example.com
// itself), and "*" matches every name. A pattern written in Unicode is
// converted to IDNA A-labels with libidn2 (UTS #46 non-transitional
// processing, IDNA2008), so "bücher.example" matches the query name
// "xn--bcher-kva.example" that clients send.
#ifndef ZTGATE_RESOLVER_POLICY_PATTERN_H_
#define ZTGATE_RESOLVER_POLICY_PATTERN_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "resolver/dns/name.h"

namespace ztgate::resolver::policy {

struct Pattern {
  // The name itself, or for a wildcard the name whose subdomains match
  // (the root for "*").
  dns::Name name;
  bool wildcard = false;

  // Presentation form in A-labels: "*.xn--bcher-kva.example".
  std::string ToString() const;
};

// Parses and normalizes one pattern. Labels may hold letters, digits,
// hyphens and underscores after IDNA conversion; a "*" is allowed only as
// the whole first label. A trailing dot is accepted. Errors name the
// pattern and the reason.
absl::StatusOr<Pattern> ParsePattern(std::string_view text);

}  // namespace ztgate::resolver::policy

#endif  // ZTGATE_RESOLVER_POLICY_PATTERN_H_
