// Whole-string decimal parsing with std::from_chars: no sign for unsigned
// types, no leading '+', no spaces, no trailing characters.
#ifndef ZTGATE_COMMON_PARSE_NUMBER_H_
#define ZTGATE_COMMON_PARSE_NUMBER_H_

#include <charconv>
#include <string_view>

namespace ztgate {

template <typename T>
bool ParseDecimal(std::string_view text, T* value) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace ztgate

#endif  // ZTGATE_COMMON_PARSE_NUMBER_H_
