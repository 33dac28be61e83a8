// Strict YAML reading; see yaml_reader.h.
#include "common/yaml_reader.h"

#include <fstream>
#include <sstream>

#include "common/parse_number.h"
#include "common/str_cat.h"

namespace ztgate {
namespace {

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return StrCat("\"", node.Scalar(), "\"");
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "an undefined value";
  }
}

}  // namespace

absl::StatusOr<YAML::Node> ParseYaml(std::string_view text, std::string_view source) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat(source, ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
}

absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(StrCat("cannot open config file ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseYaml(text.str(), path);
}

absl::StatusOr<YamlMap> YamlMap::From(const YAML::Node& node, std::string source,
                                      std::string path) {
  if (node.IsNull()) {
    return YamlMap(YAML::Node(YAML::NodeType::Map), std::move(source), std::move(path));
  }
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(StrCat(source, ":", node.Mark().line + 1, ": ",
                                                   path.empty() ? "document" : path,
                                                   ": expected a map, got ", Describe(node)));
  }
  return YamlMap(node, std::move(source), std::move(path));
}

bool YamlMap::Has(std::string_view key) const { return node_[std::string(key)].IsDefined(); }

std::optional<YAML::Node> YamlMap::Get(std::string_view key) {
  read_keys_.emplace(key);
  YAML::Node value = node_[std::string(key)];
  if (!value.IsDefined()) return std::nullopt;
  return value;
}

std::string YamlMap::KeyPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : StrCat(path_, ".", key);
}

absl::Status YamlMap::ErrorAtNode(const YAML::Node& node, std::string_view key,
                                  std::string_view message) const {
  return absl::InvalidArgumentError(
      StrCat(source_, ":", node.Mark().line + 1, ": ", KeyPath(key), ": ", message));
}

absl::Status YamlMap::ErrorAt(std::string_view key, std::string_view message) const {
  YAML::Node value = node_[std::string(key)];
  return ErrorAtNode(value.IsDefined() ? value : node_, key, message);
}

absl::Status YamlMap::ErrorAtItem(std::string_view key, size_t index,
                                  std::string_view message) const {
  YAML::Node list = node_[std::string(key)];
  const bool has_item = list.IsDefined() && list.IsSequence() && index < list.size();
  return ErrorAtNode(has_item ? list[index] : node_, StrCat(key, "[", index, "]"), message);
}

int YamlMap::ItemLine(std::string_view key, size_t index) const {
  YAML::Node list = node_[std::string(key)];
  if (!list.IsDefined() || !list.IsSequence() || index >= list.size()) return line();
  return list[index].Mark().line + 1;
}

absl::Status YamlMap::Error(std::string_view message) const {
  return absl::InvalidArgumentError(StrCat(source_, ":", line(), ": ",
                                                 path_.empty() ? "document" : path_, ": ",
                                                 message));
}

absl::StatusOr<std::optional<std::string>> YamlMap::String(std::string_view key) {
  std::optional<YAML::Node> value = Get(key);
  if (!value) return std::nullopt;
  if (!value->IsScalar()) {
    return ErrorAtNode(*value, key, StrCat("expected a string, got ", Describe(*value)));
  }
  return value->Scalar();
}

absl::StatusOr<std::optional<bool>> YamlMap::Bool(std::string_view key) {
  std::optional<YAML::Node> value = Get(key);
  if (!value) return std::nullopt;
  if (value->IsScalar()) {
    const std::string& text = value->Scalar();
    if (text == "true") return true;
    if (text == "false") return false;
  }
  return ErrorAtNode(*value, key,
                     StrCat("expected true or false, got ", Describe(*value)));
}

absl::StatusOr<std::optional<int64_t>> YamlMap::Integer(std::string_view key, int64_t min,
                                                        int64_t max) {
  std::optional<YAML::Node> value = Get(key);
  if (!value) return std::nullopt;
  int64_t number = 0;
  if (!value->IsScalar() || !ParseDecimal(value->Scalar(), &number)) {
    return ErrorAtNode(*value, key,
                       StrCat("expected an integer, got ", Describe(*value)));
  }
  if (number < min || number > max) {
    return ErrorAtNode(*value, key,
                       StrCat("value ", number, " is out of range [", min, ", ", max,
                                    "]"));
  }
  return number;
}

absl::StatusOr<std::optional<absl::Duration>> YamlMap::Duration(std::string_view key) {
  std::optional<YAML::Node> value = Get(key);
  if (!value) return std::nullopt;
  if (!value->IsScalar()) {
    return ErrorAtNode(*value, key,
                       StrCat("expected a duration, got ", Describe(*value)));
  }
  absl::StatusOr<absl::Duration> duration = ParseConfigDuration(value->Scalar());
  if (!duration.ok()) return ErrorAtNode(*value, key, ToStd(duration.status().message()));
  return *duration;
}

absl::StatusOr<std::optional<std::vector<std::string>>> YamlMap::StringList(
    std::string_view key) {
  std::optional<YAML::Node> value = Get(key);
  if (!value) return std::nullopt;
  if (value->IsNull()) return std::vector<std::string>{};
  if (!value->IsSequence()) {
    return ErrorAtNode(*value, key, StrCat("expected a list, got ", Describe(*value)));
  }
  std::vector<std::string> items;
  items.reserve(value->size());
  for (size_t i = 0; i < value->size(); ++i) {
    const YAML::Node item = (*value)[i];
    if (!item.IsScalar()) {
      return ErrorAtNode(item, StrCat(key, "[", i, "]"),
                         StrCat("expected a string, got ", Describe(item)));
    }
    items.push_back(item.Scalar());
  }
  return items;
}

absl::StatusOr<std::optional<YamlMap>> YamlMap::Map(std::string_view key) {
  std::optional<YAML::Node> value = Get(key);
  if (!value) return std::nullopt;
  absl::StatusOr<YamlMap> map = From(*value, source_, KeyPath(key));
  if (!map.ok()) return map.status();
  return std::move(*map);
}

absl::StatusOr<std::optional<std::vector<YamlMap>>> YamlMap::MapList(std::string_view key) {
  std::optional<YAML::Node> value = Get(key);
  if (!value) return std::nullopt;
  if (value->IsNull()) return std::vector<YamlMap>{};
  if (!value->IsSequence()) {
    return ErrorAtNode(*value, key, StrCat("expected a list, got ", Describe(*value)));
  }
  std::vector<YamlMap> maps;
  for (size_t i = 0; i < value->size(); ++i) {
    absl::StatusOr<YamlMap> map = From((*value)[i], source_, StrCat(KeyPath(key), "[", i, "]"));
    if (!map.ok()) return map.status();
    maps.push_back(std::move(*map));
  }
  return maps;
}

absl::Status YamlMap::Finish() const {
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (!read_keys_.contains(key)) {
      return ErrorAtNode(entry.first, key, "unknown key");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> ParseConfigDuration(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    absl::Duration scale;
  };
  // Longer suffixes first, so that "ms" is not read as "m".
  static constexpr Unit kUnits[] = {
      {"us", absl::Microseconds(1)}, {"ms", absl::Milliseconds(1)}, {"s", absl::Seconds(1)},
      {"m", absl::Minutes(1)},       {"h", absl::Hours(1)},         {"d", absl::Hours(24)},
  };
  for (const Unit& unit : kUnits) {
    if (text.size() <= unit.suffix.size() || !text.ends_with(unit.suffix)) continue;
    int64_t count = 0;
    if (!ParseDecimal(text.substr(0, text.size() - unit.suffix.size()), &count) ||
        count < 0) {
      break;
    }
    return count * unit.scale;
  }
  return absl::InvalidArgumentError(StrCat(
      "invalid duration \"", text, "\": expected a non-negative integer with a unit ",
      "(us, ms, s, m, h or d), for example 30s"));
}

}  // namespace ztgate
