// A domain name as a value, canonicalized once when it is made.
//
// A Name keeps two uncompressed wire forms: wire(), as received or written
// (DNS 0x20 case randomization preserved, so a response can echo the
// question byte for byte), and canonical(), the same bytes with ASCII letters
// lowered (RFC 4343). Equality, hashing and suffix tests use canonical(), so
// "WWW.Example.COM" and "www.example.com." are the same name. Text input may
// end with a dot or not. An empty label ("example.com..", ".example"), a
// label over 63 octets and a name over 255 octets are invalid.
#ifndef ZTGATE_RESOLVER_DNS_NAME_H_
#define ZTGATE_RESOLVER_DNS_NAME_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ztgate::resolver::dns {

class Name {
 public:
  // The root name ".".
  Name();

  // Parses presentation form: "www.example.com", "www.example.com." or "."
  // for the root. "\." and "\DDD" escape a dot or any octet.
  static absl::StatusOr<Name> FromText(std::string_view text);
  // Takes uncompressed wire form ending with the root label. Checks label
  // and name lengths.
  static absl::StatusOr<Name> FromWire(std::string_view wire);

  std::string_view wire() const { return std::string_view(data_).substr(0, data_.size() / 2); }
  std::string_view canonical() const {
    return std::string_view(data_).substr(data_.size() / 2);
  }
  int label_count() const { return label_count_; }
  bool is_root() const { return label_count_ == 0; }

  // Lower-case presentation form without the trailing dot ("." for the root),
  // escaping dots inside labels and octets outside printable ASCII.
  std::string ToString() const;

  // True when this name equals `ancestor` or lies below it.
  bool IsSubdomainOf(const Name& ancestor) const;
  // The name with its first `count` labels removed; `count` is at most
  // label_count().
  Name Parent(int count = 1) const;
  // Replaces the `suffix` this name ends with by `replacement` (DNAME
  // substitution, RFC 6672 section 2.2). Fails when the result is over 255
  // octets.
  absl::StatusOr<Name> ReplaceSuffix(const Name& suffix, const Name& replacement) const;

  friend bool operator==(const Name& a, const Name& b) { return a.canonical() == b.canonical(); }

  template <typename H>
  friend H AbslHashValue(H h, const Name& name) {
    return H::combine(std::move(h), name.canonical());
  }

 private:
  // Takes wire form already checked by the caller.
  Name(std::string_view wire, int label_count);

  // The wire form followed by the canonical form, in one allocation: a
  // parsed answer holds one Name per record.
  std::string data_;
  int label_count_ = 0;
};

// Lowers ASCII letters only, as RFC 4343 requires; other octets are kept.
inline uint8_t LowerAscii(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

}  // namespace ztgate::resolver::dns

#endif  // ZTGATE_RESOLVER_DNS_NAME_H_
