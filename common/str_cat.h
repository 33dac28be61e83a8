// String building for messages. Debian 12's Abseil is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW is 0), so absl::StrCat
// does not take std::string_view. This StrCat takes anything fmt can format,
// std::string_view and absl::string_view included. It also teaches fmt (and
// so spdlog) to format absl::string_view.
#ifndef ZTGATE_COMMON_STR_CAT_H_
#define ZTGATE_COMMON_STR_CAT_H_

#include <iterator>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "absl/strings/string_view.h"

namespace ztgate {

namespace str_cat_internal {

inline void Append(std::string& out, absl::string_view piece) {
  out.append(piece.data(), piece.size());
}

template <typename T>
void Append(std::string& out, const T& piece) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out.append(std::string_view(piece));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", piece);
  }
}

}  // namespace str_cat_internal

template <typename... Pieces>
std::string StrCat(const Pieces&... pieces) {
  std::string out;
  (str_cat_internal::Append(out, pieces), ...);
  return out;
}

// Converts to Abseil's string_view for Abseil calls.
inline absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }
// Converts Abseil's string_view (such as absl::Status::message()) to std.
inline std::string_view ToStd(absl::string_view text) { return {text.data(), text.size()}; }

}  // namespace ztgate

// Lets fmt and spdlog format absl::string_view, such as Status::message().
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view text, FormatContext& context) const {
    return fmt::formatter<std::string_view>::format(ztgate::ToStd(text), context);
  }
};

#endif  // ZTGATE_COMMON_STR_CAT_H_
