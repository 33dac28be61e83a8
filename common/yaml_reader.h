// Strict reading of YAML configuration files.
//
// Every value is read through a YamlMap, which remembers the keys it handed
// out, so that Finish() can reject any key the program did not ask for.
// Every error names the file, the key path and the line, for example:
//   /etc/ztgate/dataplane.yaml:12: table.size: expected an integer, got "1M"
#ifndef ZTGATE_COMMON_YAML_READER_H_
#define ZTGATE_COMMON_YAML_READER_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ztgate {

// Parses a whole YAML document from text. `source` names it in errors.
absl::StatusOr<YAML::Node> ParseYaml(std::string_view text, std::string_view source);

// Reads a whole YAML file.
absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path);

// A mapping node being read. Accessors return INVALID_ARGUMENT with the
// file, line and key path when a value has the wrong type or range.
class YamlMap {
 public:
  // `path` is the key path of this map ("" for the document root).
  static absl::StatusOr<YamlMap> From(const YAML::Node& node, std::string source,
                                      std::string path);

  bool Has(std::string_view key) const;

  absl::StatusOr<std::optional<std::string>> String(std::string_view key);
  absl::StatusOr<std::optional<bool>> Bool(std::string_view key);
  // An integer in [min, max].
  absl::StatusOr<std::optional<int64_t>> Integer(std::string_view key, int64_t min,
                                                 int64_t max);
  // A duration such as "30s", "100ms", "2m" or "1h".
  absl::StatusOr<std::optional<absl::Duration>> Duration(std::string_view key);
  absl::StatusOr<std::optional<std::vector<std::string>>> StringList(std::string_view key);
  absl::StatusOr<std::optional<YamlMap>> Map(std::string_view key);
  // A sequence of maps.
  absl::StatusOr<std::optional<std::vector<YamlMap>>> MapList(std::string_view key);

  // Rejects the first key that no accessor read.
  absl::Status Finish() const;

  // An INVALID_ARGUMENT error at `key` in this map, for checks the caller
  // makes on a value it has read.
  absl::Status ErrorAt(std::string_view key, std::string_view message) const;
  // An INVALID_ARGUMENT error at this map itself.
  absl::Status Error(std::string_view message) const;
  // An INVALID_ARGUMENT error at item `index` of the list at `key`, naming
  // that item's own line, for checks on one entry of a list.
  absl::Status ErrorAtItem(std::string_view key, size_t index, std::string_view message) const;
  // The line of item `index` of the list at `key`; the map's line when there
  // is no such item.
  int ItemLine(std::string_view key, size_t index) const;

  const std::string& path() const { return path_; }
  int line() const { return node_.Mark().line + 1; }

 private:
  YamlMap(YAML::Node node, std::string source, std::string path)
      : node_(std::move(node)), source_(std::move(source)), path_(std::move(path)) {}

  std::optional<YAML::Node> Get(std::string_view key);
  std::string KeyPath(std::string_view key) const;
  absl::Status ErrorAtNode(const YAML::Node& node, std::string_view key,
                           std::string_view message) const;

  YAML::Node node_;
  std::string source_;
  std::string path_;
  std::set<std::string, std::less<>> read_keys_;
};

// Stores a value read with a YamlMap accessor into `target` when the key
// was present; returns the accessor's error otherwise.
template <typename T, typename U>
absl::Status Assign(absl::StatusOr<std::optional<T>> value, U& target) {
  if (!value.ok()) return value.status();
  if (*value) target = std::move(**value);
  return absl::OkStatus();
}

// Parses "250ms", "30s", "5m", "1h" or "1d". Plain numbers are rejected so
// that every duration in a config file carries its unit.
absl::StatusOr<absl::Duration> ParseConfigDuration(std::string_view text);

}  // namespace ztgate

#endif  // ZTGATE_COMMON_YAML_READER_H_
