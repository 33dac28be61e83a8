// Policy name patterns; see pattern.h.
#include "resolver/policy/pattern.h"

#include <idn2.h>

#include <cstdlib>
#include <memory>

#include "common/str_cat.h"

namespace ztgate::resolver::policy {
namespace {

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Host-name characters plus underscore, which service labels such as
// "_dmarc" use.
bool IsNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.';
}

bool HasALabel(std::string_view text) {
  for (size_t i = 0; i + 4 <= text.size(); ++i) {
    if ((i == 0 || text[i - 1] == '.') && (text[i] == 'x' || text[i] == 'X') &&
        (text[i + 1] == 'n' || text[i + 1] == 'N') && text[i + 2] == '-' && text[i + 3] == '-') {
      return true;
    }
  }
  return false;
}

// Converts Unicode labels to A-labels. ASCII input passes through unless it
// holds an "xn--" label, which libidn2 then checks for valid Punycode.
absl::StatusOr<std::string> ToALabels(std::string_view text) {
  if (IsAscii(text) && !HasALabel(text)) return std::string(text);
  const std::string input(text);
  char* output = nullptr;
  const int rc = idn2_to_ascii_8z(input.c_str(), &output, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  const std::unique_ptr<char, decltype(&idn2_free)> owner(output, &idn2_free);
  if (rc != IDN2_OK) {
    return absl::InvalidArgumentError(
        StrCat("invalid internationalized name \"", text, "\": ", idn2_strerror(rc)));
  }
  return std::string(output);
}

}  // namespace

std::string Pattern::ToString() const {
  if (!wildcard) return name.ToString();
  return name.is_root() ? "*" : StrCat("*.", name.ToString());
}

absl::StatusOr<Pattern> ParsePattern(std::string_view text) {
  Pattern pattern;
  std::string_view rest = text;
  if (rest == "*" || rest == "*.") {
    pattern.wildcard = true;
    return pattern;
  }
  if (rest.starts_with("*.")) {
    pattern.wildcard = true;
    rest.remove_prefix(2);
  }
  if (rest.ends_with('.')) rest.remove_suffix(1);
  if (rest.empty()) return absl::InvalidArgumentError(StrCat("empty pattern \"", text, "\""));

  absl::StatusOr<std::string> ascii = ToALabels(rest);
  if (!ascii.ok()) return ascii.status();
  for (char c : *ascii) {
    if (c == '*') {
      return absl::InvalidArgumentError(
          StrCat("invalid pattern \"", text, "\": \"*\" is allowed only as \"*.\" at the start"));
    }
    if (!IsNameCharacter(c)) {
      return absl::InvalidArgumentError(
          StrCat("invalid pattern \"", text, "\": character '", std::string(1, c),
                 "' is not allowed in a name"));
    }
  }
  absl::StatusOr<dns::Name> name = dns::Name::FromText(*ascii);
  if (!name.ok()) {
    return absl::InvalidArgumentError(
        StrCat("invalid pattern \"", text, "\": ", name.status().message()));
  }
  pattern.name = std::move(*name);
  return pattern;
}

}  // namespace ztgate::resolver::policy
