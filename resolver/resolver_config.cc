// Reading the resolver's configuration sections; see resolver_config.h.
#include "resolver/resolver_config.h"

#include "common/parse_number.h"
#include "common/str_cat.h"
#include "resolver/policy/pattern.h"

namespace ztgate::resolver {
namespace {

// Well-known ports of DNS over TLS (RFC 7858) and HTTPS.
constexpr uint16_t kDefaultDotPort = 853;
constexpr uint16_t kDefaultDohPort = 443;

// Reads an optional integer in [min, max] into a uint32_t.
absl::Status AssignCount(YamlMap& map, std::string_view key, int64_t min, int64_t max,
                         uint32_t& target) {
  absl::StatusOr<std::optional<int64_t>> value = map.Integer(key, min, max);
  if (!value.ok()) return value.status();
  if (*value) target = static_cast<uint32_t>(**value);
  return absl::OkStatus();
}

// A duration that must be positive, such as a timeout.
absl::Status AssignPositiveDuration(YamlMap& map, std::string_view key, absl::Duration& target) {
  absl::Duration value = target;
  if (absl::Status s = Assign(map.Duration(key), value); !s.ok()) return s;
  if (value <= absl::ZeroDuration()) return map.ErrorAt(key, "must be greater than zero");
  target = value;
  return absl::OkStatus();
}

absl::Status ReadListenerLimits(YamlMap& listen, ListenerLimits& limits) {
  if (absl::Status s = AssignPositiveDuration(listen, "idle_timeout", limits.idle_timeout);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AssignCount(listen, "max_connections", 1, 1000000, limits.max_connections);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AssignCount(listen, "max_connections_per_client", 1, 1000000,
                                   limits.max_connections_per_client);
      !s.ok()) {
    return s;
  }
  // 65535: the DNS message ID space of one connection.
  if (absl::Status s = AssignCount(listen, "max_queries_per_connection", 1, 65535,
                                   limits.max_queries_per_connection);
      !s.ok()) {
    return s;
  }
  return listen.Finish();
}

absl::Status ReadUpstreamPool(YamlMap& map, UpstreamPoolConfig& pool) {
  if (absl::Status s = AssignCount(map, "attempts", 1, 16, pool.attempts); !s.ok()) return s;
  if (absl::Status s = AssignCount(map, "max_failures", 1, 1000, pool.max_failures); !s.ok()) {
    return s;
  }
  if (absl::Status s = AssignPositiveDuration(map, "down_time", pool.down_time); !s.ok()) return s;
  if (absl::Status s = AssignPositiveDuration(map, "max_backoff", pool.max_backoff); !s.ok()) {
    return s;
  }
  return map.Finish();
}

// Reads the address list under `key`; an address without a port gets
// `default_port`.
absl::Status ReadEndpoints(YamlMap& listen, std::string_view key, uint16_t default_port,
                           std::vector<Endpoint>& endpoints) {
  std::vector<std::string> texts;
  if (absl::Status s = Assign(listen.StringList(key), texts); !s.ok()) return s;
  for (const std::string& text : texts) {
    absl::StatusOr<Endpoint> endpoint = ParseEndpoint(text, default_port);
    if (!endpoint.ok()) return listen.ErrorAt(key, ToStd(endpoint.status().message()));
    endpoints.push_back(*endpoint);
  }
  return absl::OkStatus();
}

absl::Status ReadDohOptions(YamlMap& listen, DohOptions& doh) {
  if (absl::Status s = Assign(listen.String("doh_path"), doh.path); !s.ok()) return s;
  if (!doh.path.starts_with("/") || doh.path.find_first_of("?# ") != std::string::npos) {
    return listen.ErrorAt("doh_path", "must be an absolute path such as /dns-query, "
                                      "without query or fragment");
  }
  // Below 1024 bytes common browsers' requests no longer fit.
  return AssignCount(listen, "max_header_bytes", 1024, 1 << 20, doh.max_header_bytes);
}

absl::Status ReadListen(YamlMap& listen, ResolverConfig& config) {
  if (absl::Status s = ReadEndpoints(listen, "dot", kDefaultDotPort, config.dot_listeners);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadEndpoints(listen, "doh", kDefaultDohPort, config.doh_listeners);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadDohOptions(listen, config.doh); !s.ok()) return s;
  return ReadListenerLimits(listen, config.listener_limits);
}

absl::Status ReadTls(YamlMap& tls, ServerTlsConfig& config) {
  if (absl::Status s = Assign(tls.String("certificate"), config.certificate_file); !s.ok()) return s;
  if (absl::Status s = Assign(tls.String("key"), config.key_file); !s.ok()) return s;
  if (absl::Status s = Assign(tls.String("client_ca"), config.client_ca_file); !s.ok()) return s;
  if (absl::Status s = Assign(tls.Bool("require_client_certificate"),
                              config.require_client_certificate);
      !s.ok()) {
    return s;
  }
  if (config.certificate_file.empty() || config.key_file.empty()) {
    return tls.Error("certificate and key are required");
  }
  if (config.require_client_certificate && config.client_ca_file.empty()) {
    return tls.ErrorAt("require_client_certificate", "needs client_ca");
  }
  return tls.Finish();
}

absl::StatusOr<UpstreamConfig> ReadUpstream(YamlMap& map) {
  UpstreamConfig upstream;
  std::string address;
  if (absl::Status s = Assign(map.String("address"), address); !s.ok()) return s;
  if (address.empty()) return map.Error("address is required");
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint(address);
  if (!endpoint.ok()) return map.ErrorAt("address", ToStd(endpoint.status().message()));
  upstream.endpoint = *endpoint;

  if (absl::Status s = Assign(map.String("tls_name"), upstream.tls_name); !s.ok()) return s;
  if (absl::Status s = Assign(map.String("ca_file"), upstream.ca_file); !s.ok()) return s;
  if (absl::Status s = Assign(map.StringList("spki_pins"), upstream.spki_pins); !s.ok()) return s;
  if (absl::Status s = AssignPositiveDuration(map, "timeout", upstream.timeout); !s.ok()) return s;
  // Each connection pipelines up to 60000 queries (one per free DNS ID), so
  // a few connections per upstream suffice.
  if (absl::Status s = AssignCount(map, "connections", 1, 64, upstream.connections); !s.ok()) {
    return s;
  }
  // RFC 7858 section 4: an upstream is authenticated by name or by pin;
  // an upstream with neither would be an unauthenticated resolver.
  if (upstream.tls_name.empty() && upstream.spki_pins.empty()) {
    return map.Error("an upstream needs tls_name or spki_pins to authenticate it");
  }
  if (absl::Status s = map.Finish(); !s.ok()) return s;
  return upstream;
}

absl::StatusOr<PolicyMode> ParseMode(YamlMap& map) {
  std::string text;
  if (absl::Status s = Assign(map.String("mode"), text); !s.ok()) return s;
  if (text == "enforce") return PolicyMode::kEnforce;
  if (text == "audit") return PolicyMode::kAudit;
  return map.ErrorAt("mode", StrCat("invalid mode \"", text, "\": expected enforce or audit"));
}

// Reads a list of name patterns, checking each (IDNA conversion included)
// so that an invalid pattern fails loading with its own line.
absl::Status ReadPatterns(YamlMap& map, std::string_view key, std::vector<std::string>& patterns,
                          std::vector<int>& lines) {
  if (absl::Status s = Assign(map.StringList(key), patterns); !s.ok()) return s;
  for (size_t i = 0; i < patterns.size(); ++i) {
    absl::StatusOr<policy::Pattern> pattern = policy::ParsePattern(patterns[i]);
    if (!pattern.ok()) return map.ErrorAtItem(key, i, ToStd(pattern.status().message()));
    lines.push_back(map.ItemLine(key, i));
  }
  return absl::OkStatus();
}

absl::StatusOr<CnameRule> ParseCnameRule(YamlMap& map) {
  std::string text;
  if (absl::Status s = Assign(map.String("cname_rule"), text); !s.ok()) return s;
  if (text == "query_name") return CnameRule::kQueryName;
  if (text == "no_denied_target") return CnameRule::kNoDeniedTarget;
  if (text == "every_name") return CnameRule::kEveryName;
  return map.ErrorAt("cname_rule",
                     StrCat("invalid rule \"", text,
                            "\": expected query_name, no_denied_target or every_name"));
}

absl::StatusOr<GroupConfig> ReadGroup(YamlMap& map, bool is_default) {
  GroupConfig group;
  group.line = map.line();
  if (absl::Status s = Assign(map.String("name"), group.name); !s.ok()) return s;
  if (group.name.empty()) {
    if (!is_default) return map.Error("name is required");
    group.name = "default";
  }
  std::vector<std::string> clients;
  if (absl::Status s = Assign(map.StringList("clients"), clients); !s.ok()) return s;
  for (const std::string& text : clients) {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(text);
    if (!prefix.ok()) return map.ErrorAt("clients", ToStd(prefix.status().message()));
    group.clients.push_back(*prefix);
  }
  if (absl::Status s = Assign(map.StringList("identities"), group.identities); !s.ok()) return s;
  if (absl::Status s = ReadPatterns(map, "allow", group.allow, group.allow_lines); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadPatterns(map, "deny", group.deny, group.deny_lines); !s.ok()) {
    return s;
  }
  if (map.Has("mode")) {
    absl::StatusOr<PolicyMode> mode = ParseMode(map);
    if (!mode.ok()) return mode.status();
    group.mode = *mode;
  }
  if (absl::Status s = map.Finish(); !s.ok()) return s;
  return group;
}

// The cache's byte bound and TTL caps, besides max_entries.
absl::Status ReadCacheLimits(YamlMap& cache, ResolverConfig& config) {
  int64_t bytes = static_cast<int64_t>(config.cache_max_bytes);
  // 1 TiB: far above any real cache, but keeps the product with a shard
  // count inside 64 bits.
  if (absl::Status s = Assign(cache.Integer("max_bytes", 4096, int64_t{1} << 40), bytes);
      !s.ok()) {
    return s;
  }
  config.cache_max_bytes = static_cast<uint64_t>(bytes);
  if (absl::Status s = AssignPositiveDuration(cache, "max_ttl", config.cache_max_ttl); !s.ok()) {
    return s;
  }
  return AssignPositiveDuration(cache, "max_negative_ttl", config.cache_max_negative_ttl);
}

absl::Status ReadPolicy(YamlMap& map, PolicyConfig& policy) {
  if (map.Has("mode")) {
    absl::StatusOr<PolicyMode> mode = ParseMode(map);
    if (!mode.ok()) return mode.status();
    policy.mode = *mode;
  }
  std::string rcode = "refused";
  if (absl::Status s = Assign(map.String("denied_rcode"), rcode); !s.ok()) return s;
  if (rcode == "refused") {
    policy.denied_rcode = DeniedRcode::kRefused;
  } else if (rcode == "nxdomain") {
    policy.denied_rcode = DeniedRcode::kNxdomain;
  } else {
    return map.ErrorAt("denied_rcode", StrCat("invalid rcode \"", rcode,
                                                    "\": expected refused or nxdomain"));
  }

  if (map.Has("cname_rule")) {
    absl::StatusOr<CnameRule> rule = ParseCnameRule(map);
    if (!rule.ok()) return rule.status();
    policy.cname_rule = *rule;
  }

  std::vector<YamlMap> groups;
  if (absl::Status s = Assign(map.MapList("groups"), groups); !s.ok()) return s;
  for (YamlMap& group_map : groups) {
    absl::StatusOr<GroupConfig> group = ReadGroup(group_map, /*is_default=*/false);
    if (!group.ok()) return group.status();
    for (const GroupConfig& earlier : policy.groups) {
      if (earlier.name == group->name) {
        return group_map.ErrorAt("name", StrCat("duplicate group name \"", group->name,
                                                      "\" (first at line ", earlier.line, ")"));
      }
    }
    policy.groups.push_back(std::move(*group));
  }

  absl::StatusOr<std::optional<YamlMap>> default_map = map.Map("default_group");
  if (!default_map.ok()) return default_map.status();
  if (*default_map) {
    absl::StatusOr<GroupConfig> group = ReadGroup(**default_map, /*is_default=*/true);
    if (!group.ok()) return group.status();
    policy.default_group = std::move(*group);
  }
  return map.Finish();
}

}  // namespace

std::string Endpoint::ToString() const {
  return address.is_v4() ? StrCat(address.ToString(), ":", port)
                         : StrCat("[", address.ToString(), "]:", port);
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text, uint16_t default_port) {
  if (default_port != 0) {
    std::string_view host = text;
    if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
    if (absl::StatusOr<IpAddress> address = IpAddress::Parse(host); address.ok()) {
      return Endpoint{*address, default_port};
    }
  }
  std::string_view host;
  std::string_view port_text;
  if (text.starts_with("[")) {
    const size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(
          StrCat("invalid endpoint \"", text, "\": expected [IPv6]:port"));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(
          StrCat("invalid endpoint \"", text, "\": expected address:port"));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  absl::StatusOr<IpAddress> address = IpAddress::Parse(host);
  if (!address.ok()) return address.status();
  uint32_t port = 0;
  if (!ParseDecimal(port_text, &port) || port == 0 || port > 65535) {
    return absl::InvalidArgumentError(
        StrCat("invalid port in \"", text, "\": expected 1-65535"));
  }
  return Endpoint{*address, static_cast<uint16_t>(port)};
}

absl::Status ReadResolverConfig(YamlMap& root, ResolverConfig& config) {
  auto listen = root.Map("listen");
  if (!listen.ok()) return listen.status();
  if (*listen) {
    if (absl::Status s = ReadListen(**listen, config); !s.ok()) return s;
  }
  if (config.dot_listeners.empty() && config.doh_listeners.empty()) {
    return root.ErrorAt("listen", "listen needs at least one dot or doh address");
  }

  auto tls = root.Map("tls");
  if (!tls.ok()) return tls.status();
  if (!*tls) return root.Error("tls is required: DoT and DoH need a certificate and key");
  if (absl::Status s = ReadTls(**tls, config.tls); !s.ok()) return s;

  std::vector<YamlMap> upstreams;
  if (absl::Status s = Assign(root.MapList("upstreams"), upstreams); !s.ok()) return s;
  if (upstreams.empty()) {
    return root.ErrorAt("upstreams",
                        "at least one DoT upstream is required; ztgate has no built-in resolver");
  }
  for (YamlMap& map : upstreams) {
    absl::StatusOr<UpstreamConfig> upstream = ReadUpstream(map);
    if (!upstream.ok()) return upstream.status();
    config.upstreams.push_back(std::move(*upstream));
  }

  auto upstream_pool = root.Map("upstream_pool");
  if (!upstream_pool.ok()) return upstream_pool.status();
  if (*upstream_pool) {
    if (absl::Status s = ReadUpstreamPool(**upstream_pool, config.upstream_pool); !s.ok()) {
      return s;
    }
  }

  auto cache = root.Map("cache");
  if (!cache.ok()) return cache.status();
  if (*cache) {
    int64_t entries = config.cache_max_entries;
    if (absl::Status s = Assign((*cache)->Integer("max_entries", 0, int64_t{1} << 26), entries);
        !s.ok()) {
      return s;
    }
    config.cache_max_entries = static_cast<uint32_t>(entries);
    if (absl::Status s = ReadCacheLimits(**cache, config); !s.ok()) return s;
    if (absl::Status s = (*cache)->Finish(); !s.ok()) return s;
  }

  auto policy = root.Map("policy");
  if (!policy.ok()) return policy.status();
  if (*policy) return ReadPolicy(**policy, config.policy);
  return absl::OkStatus();
}

}  // namespace ztgate::resolver
