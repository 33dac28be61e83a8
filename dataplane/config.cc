// Reading ztgate-dataplane's configuration; see config.h.
#include "dataplane/config.h"

#include <charconv>

#include "common/str_cat.h"
#include "common/yaml_reader.h"

namespace ztgate::dataplane {
namespace {

// The table must hold at least one burst of new flows and at most what the
// 32-bit rte_hash entry count can address.
constexpr int64_t kMinTableSize = 1024;
constexpr int64_t kMaxTableSize = int64_t{1} << 28;

absl::Status ReadTable(YamlMap& table, DataplaneConfig& config) {
  auto size = table.Integer("size", kMinTableSize, kMaxTableSize);
  if (!size.ok()) return size.status();
  if (*size) config.table_size = static_cast<uint32_t>(**size);

  auto idle = table.Duration("idle_timeout");
  if (!idle.ok()) return idle.status();
  if (*idle) config.idle_timeout = **idle;

  auto sweep = table.Duration("sweep_interval");
  if (!sweep.ok()) return sweep.status();
  if (*sweep) {
    if (**sweep < absl::Milliseconds(10)) {
      return table.ErrorAt("sweep_interval", "must be at least 10ms");
    }
    config.sweep_interval = **sweep;
  }
  return table.Finish();
}

absl::StatusOr<uint16_t> ParseEthertype(std::string_view text) {
  uint32_t value = 0;
  std::string_view digits = text;
  int base = 10;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    digits.remove_prefix(2);
    base = 16;
  }
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  // Values below 0x0600 are IEEE 802.3 lengths, not ethertypes.
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      value < 0x0600 || value > 0xffff) {
    return absl::InvalidArgumentError(
        StrCat("invalid ethertype \"", text, "\": expected 0x0600-0xffff, such as 0x88cc"));
  }
  return static_cast<uint16_t>(value);
}

absl::Status ReadPass(YamlMap& pass, DataplaneConfig& config) {
  struct Flag {
    std::string_view key;
    bool* target;
  };
  for (const Flag& flag : {Flag{"arp", &config.pass_arp}, Flag{"ndp", &config.pass_ndp},
                           Flag{"dhcp", &config.pass_dhcp},
                           Flag{"icmp_errors", &config.pass_icmp_errors}}) {
    auto value = pass.Bool(flag.key);
    if (!value.ok()) return value.status();
    if (*value) *flag.target = **value;
  }
  auto ethertypes = pass.StringList("ethertypes");
  if (!ethertypes.ok()) return ethertypes.status();
  for (const std::string& text : ethertypes->value_or(std::vector<std::string>{})) {
    absl::StatusOr<uint16_t> ethertype = ParseEthertype(text);
    if (!ethertype.ok()) return pass.ErrorAt("ethertypes", ToStd(ethertype.status().message()));
    config.pass_ethertypes.push_back(*ethertype);
  }
  return pass.Finish();
}

absl::Status ReadRoot(YamlMap& root, DataplaneConfig& config) {
  auto table = root.Map("table");
  if (!table.ok()) return table.status();
  if (*table) {
    if (absl::Status status = ReadTable(**table, config); !status.ok()) return status;
  }

  auto mode = root.String("mode");
  if (!mode.ok()) return mode.status();
  if (*mode) {
    if (**mode == "enforce") {
      config.mode = EnforcementMode::kEnforce;
    } else if (**mode == "audit") {
      config.mode = EnforcementMode::kAudit;
    } else {
      return root.ErrorAt("mode", StrCat("invalid mode \"", **mode,
                                               "\": expected enforce or audit"));
    }
  }

  auto exceptions = root.StringList("exceptions");
  if (!exceptions.ok()) return exceptions.status();
  for (const std::string& text : exceptions->value_or(std::vector<std::string>{})) {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(text);
    if (!prefix.ok()) return root.ErrorAt("exceptions", ToStd(prefix.status().message()));
    config.exceptions.push_back(*prefix);
  }

  auto pass = root.Map("pass");
  if (!pass.ok()) return pass.status();
  if (*pass) {
    if (absl::Status status = ReadPass(**pass, config); !status.ok()) return status;
  }

  auto api = root.Map("api");
  if (!api.ok()) return api.status();
  YamlMap empty_api = *YamlMap::From(YAML::Node(), "", "api");
  auto listener = ReadGrpcListenerConfig(*api ? **api : empty_api, std::string(kDefaultApiSocket));
  if (!listener.ok()) return listener.status();
  config.api = *listener;

  auto level = root.String("log_level");
  if (!level.ok()) return level.status();
  if (*level) config.log_level = **level;
  return root.Finish();
}

}  // namespace

absl::StatusOr<DataplaneConfig> ParseDataplaneConfig(std::string_view text,
                                                     std::string_view source) {
  absl::StatusOr<YAML::Node> document = ParseYaml(text, source);
  if (!document.ok()) return document.status();
  absl::StatusOr<YamlMap> root = YamlMap::From(*document, std::string(source), "");
  if (!root.ok()) return root.status();
  DataplaneConfig config;
  if (absl::Status status = ReadRoot(*root, config); !status.ok()) return status;
  return config;
}

absl::StatusOr<DataplaneConfig> LoadDataplaneConfig(const std::string& path) {
  absl::StatusOr<YAML::Node> document = LoadYamlFile(path);
  if (!document.ok()) return document.status();
  absl::StatusOr<YamlMap> root = YamlMap::From(*document, path, "");
  if (!root.ok()) return root.status();
  DataplaneConfig config;
  if (absl::Status status = ReadRoot(*root, config); !status.ok()) return status;
  return config;
}

}  // namespace ztgate::dataplane
