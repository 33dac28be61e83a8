// Domain name values; see name.h.
#include "resolver/dns/name.h"

#include "common/str_cat.h"
#include "resolver/dns/constants.h"

namespace ztgate::resolver::dns {
namespace {


// Reads one "\DDD" or "\X" escape starting after the backslash.
absl::StatusOr<uint8_t> ReadEscape(std::string_view text, size_t& i) {
  if (i >= text.size()) return absl::InvalidArgumentError("name ends with a backslash");
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(text[i])) return static_cast<uint8_t>(text[i++]);
  if (i + 3 > text.size() || !digit(text[i + 1]) || !digit(text[i + 2])) {
    return absl::InvalidArgumentError("invalid \\DDD escape in name");
  }
  const int value = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
  if (value > 255) return absl::InvalidArgumentError("\\DDD escape over 255 in name");
  i += 3;
  return static_cast<uint8_t>(value);
}

}  // namespace

Name::Name() : data_(2, '\0') {}

Name::Name(std::string_view wire, int label_count) : label_count_(label_count) {
  data_.resize(2 * wire.size());
  for (size_t i = 0; i < wire.size(); ++i) {
    data_[i] = wire[i];
    data_[wire.size() + i] = static_cast<char>(LowerAscii(static_cast<uint8_t>(wire[i])));
  }
}

absl::StatusOr<Name> Name::FromText(std::string_view text) {
  if (text == ".") return Name();
  if (text.empty()) return absl::InvalidArgumentError("empty name");
  std::string wire;
  std::string label;
  int labels = 0;
  size_t i = 0;
  while (true) {
    const bool at_end = i == text.size();
    if (at_end || text[i] == '.') {
      if (label.empty()) {
        if (at_end && labels > 0 && text.back() == '.') break;  // Trailing dot.
        return absl::InvalidArgumentError(StrCat("empty label in name \"", text, "\""));
      }
      if (label.size() > kMaxLabelSize) {
        return absl::InvalidArgumentError(
            StrCat("label over 63 octets in name \"", text, "\""));
      }
      wire.push_back(static_cast<char>(label.size()));
      wire += label;
      label.clear();
      ++labels;
      if (at_end) break;
      ++i;
      continue;
    }
    if (text[i] == '\\') {
      ++i;
      absl::StatusOr<uint8_t> octet = ReadEscape(text, i);
      if (!octet.ok()) return octet.status();
      label.push_back(static_cast<char>(*octet));
      continue;
    }
    label.push_back(text[i++]);
  }
  wire.push_back('\0');
  if (wire.size() > kMaxNameSize) {
    return absl::InvalidArgumentError(StrCat("name over 255 octets: \"", text, "\""));
  }
  return Name(wire, labels);
}

absl::StatusOr<Name> Name::FromWire(std::string_view wire) {
  if (wire.size() > kMaxNameSize) return absl::InvalidArgumentError("name over 255 octets");
  size_t offset = 0;
  int labels = 0;
  while (offset < wire.size()) {
    const uint8_t length = static_cast<uint8_t>(wire[offset]);
    if (length == 0) {
      if (offset + 1 != wire.size()) {
        return absl::InvalidArgumentError("bytes after the root label of a name");
      }
      return Name(wire, labels);
    }
    if (length > kMaxLabelSize) return absl::InvalidArgumentError("label over 63 octets");
    offset += 1 + length;
    ++labels;
  }
  return absl::InvalidArgumentError("name without a root label");
}

std::string Name::ToString() const {
  if (is_root()) return ".";
  const std::string_view canonical = this->canonical();
  std::string out;
  size_t offset = 0;
  while (canonical[offset] != 0) {
    const size_t length = static_cast<uint8_t>(canonical[offset]);
    if (!out.empty()) out.push_back('.');
    for (size_t i = offset + 1; i <= offset + length; ++i) {
      const uint8_t c = static_cast<uint8_t>(canonical[i]);
      if (c == '.' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c <= 0x20 || c >= 0x7f) {
        out += fmt::format("\\{:03d}", c);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    offset += 1 + length;
  }
  return out;
}

Name Name::Parent(int count) const {
  const std::string_view canonical = this->canonical();
  size_t offset = 0;
  for (int i = 0; i < count && canonical[offset] != 0; ++i) {
    offset += 1 + static_cast<uint8_t>(canonical[offset]);
  }
  return Name(wire().substr(offset), label_count_ - count);
}

bool Name::IsSubdomainOf(const Name& ancestor) const {
  if (ancestor.label_count_ > label_count_) return false;
  // Walk labels so that "xample.com" never matches inside "example.com".
  const std::string_view canonical = this->canonical();
  size_t offset = 0;
  for (int i = 0; i < label_count_ - ancestor.label_count_; ++i) {
    offset += 1 + static_cast<uint8_t>(canonical[offset]);
  }
  return canonical.substr(offset) == ancestor.canonical();
}

absl::StatusOr<Name> Name::ReplaceSuffix(const Name& suffix, const Name& replacement) const {
  if (!IsSubdomainOf(suffix)) {
    return absl::InvalidArgumentError(
        StrCat(ToString(), " does not end with ", suffix.ToString()));
  }
  const size_t prefix_size = wire().size() - suffix.wire().size();
  std::string wire(this->wire().substr(0, prefix_size));
  wire += replacement.wire();
  if (wire.size() > kMaxNameSize) {
    return absl::InvalidArgumentError("substituted name over 255 octets");
  }
  return Name(std::move(wire),
              label_count_ - suffix.label_count_ + replacement.label_count_);
}

}  // namespace ztgate::resolver::dns
