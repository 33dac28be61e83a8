// Reading ztgate-control's configuration; see control_config.h.
#include "controlplane/control_config.h"

#include "absl/strings/match.h"
#include "common/str_cat.h"
#include "common/yaml_reader.h"

namespace ztgate::controlplane {
namespace {

absl::StatusOr<DataplaneTarget> ReadDataplane(YamlMap& map) {
  DataplaneTarget dataplane;
  if (absl::Status s = Assign(map.String("target"), dataplane.target); !s.ok()) return s;
  if (dataplane.target.empty()) return map.Error("target is required");
  if (absl::Status s = Assign(map.String("tls_certificate"), dataplane.tls_certificate_file);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Assign(map.String("tls_key"), dataplane.tls_key_file); !s.ok()) return s;
  if (absl::Status s = Assign(map.String("tls_ca"), dataplane.tls_ca_file); !s.ok()) return s;
  std::vector<std::string> clients;
  if (absl::Status s = Assign(map.StringList("clients"), clients); !s.ok()) return s;
  for (const std::string& text : clients) {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(text);
    if (!prefix.ok()) return map.ErrorAt("clients", ToStd(prefix.status().message()));
    dataplane.clients.push_back(*prefix);
  }
  const bool is_unix = absl::StartsWith(dataplane.target, "unix:");
  if (!is_unix && (dataplane.tls_certificate_file.empty() || dataplane.tls_key_file.empty() ||
                   dataplane.tls_ca_file.empty())) {
    return map.ErrorAt("target",
                       "a TCP target needs tls_certificate, tls_key and tls_ca (mutual TLS)");
  }
  if (absl::Status s = map.Finish(); !s.ok()) return s;
  return dataplane;
}

absl::Status ReadInstall(YamlMap& map, InstallConfig& install) {
  if (absl::Status s = Assign(map.Duration("ack_timeout"), install.ack_timeout); !s.ok()) return s;
  if (absl::Status s = Assign(map.Duration("lifetime_floor"), install.lifetime_floor); !s.ok()) {
    return s;
  }
  if (absl::Status s = Assign(map.Duration("grace"), install.grace); !s.ok()) return s;
  int64_t batch_max = install.batch_max_flows;
  if (absl::Status s = Assign(map.Integer("batch_max_flows", 1, 100000), batch_max); !s.ok()) {
    return s;
  }
  install.batch_max_flows = static_cast<uint32_t>(batch_max);
  std::string hints = "install";
  if (absl::Status s = Assign(map.String("hints"), hints); !s.ok()) return s;
  if (hints != "install" && hints != "strip") {
    return map.ErrorAt("hints", StrCat("invalid value \"", hints, "\": expected install or strip"));
  }
  install.strip_hints = hints == "strip";
  if (install.ack_timeout <= absl::ZeroDuration()) {
    return map.ErrorAt("ack_timeout", "must be greater than 0");
  }
  return map.Finish();
}

absl::Status ReadRoot(YamlMap& root, ControlConfig& config) {
  if (absl::Status s = resolver::ReadResolverConfig(root, config.resolver); !s.ok()) return s;

  std::vector<YamlMap> dataplanes;
  if (absl::Status s = Assign(root.MapList("dataplanes"), dataplanes); !s.ok()) return s;
  // InstallWaiter tracks pending dataplanes in a 64-bit mask.
  if (dataplanes.size() > 64) return root.ErrorAt("dataplanes", "at most 64 dataplanes");
  for (YamlMap& map : dataplanes) {
    absl::StatusOr<DataplaneTarget> dataplane = ReadDataplane(map);
    if (!dataplane.ok()) return dataplane.status();
    config.dataplanes.push_back(std::move(*dataplane));
  }

  auto install = root.Map("install");
  if (!install.ok()) return install.status();
  if (*install) {
    if (absl::Status s = ReadInstall(**install, config.install); !s.ok()) return s;
  }

  auto decision_log = root.Map("decision_log");
  if (!decision_log.ok()) return decision_log.status();
  if (*decision_log) {
    YamlMap& map = **decision_log;
    if (absl::Status s = Assign(map.String("json_file"), config.decision_log.json_file); !s.ok()) {
      return s;
    }
    if (absl::Status s = Assign(map.String("dnstap_file"), config.decision_log.dnstap_file);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = map.Finish(); !s.ok()) return s;
  }

  auto api = root.Map("api");
  if (!api.ok()) return api.status();
  YamlMap empty_api = *YamlMap::From(YAML::Node(), "", "api");
  auto listener = ReadGrpcListenerConfig(*api ? **api : empty_api, std::string(kDefaultApiSocket));
  if (!listener.ok()) return listener.status();
  config.api = *listener;

  if (absl::Status s = Assign(root.String("log_level"), config.log_level); !s.ok()) return s;
  return root.Finish();
}

absl::StatusOr<ControlConfig> ParseDocument(const YAML::Node& document, std::string source) {
  absl::StatusOr<YamlMap> root = YamlMap::From(document, std::move(source), "");
  if (!root.ok()) return root.status();
  ControlConfig config;
  if (absl::Status status = ReadRoot(*root, config); !status.ok()) return status;
  return config;
}

}  // namespace

absl::StatusOr<ControlConfig> ParseControlConfig(std::string_view text, std::string_view source) {
  absl::StatusOr<YAML::Node> document = ParseYaml(text, source);
  if (!document.ok()) return document.status();
  return ParseDocument(*document, std::string(source));
}

absl::StatusOr<ControlConfig> LoadControlConfig(const std::string& path) {
  absl::StatusOr<YAML::Node> document = LoadYamlFile(path);
  if (!document.ok()) return document.status();
  return ParseDocument(*document, path);
}

}  // namespace ztgate::controlplane
