// The per-query path; see query_pipeline.h.
#include "controlplane/query_pipeline.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/str_cat.h"
#include "resolver/dns/answer.h"
#include "resolver/dns/constants.h"
#include "resolver/dns/edns.h"
#include "resolver/dns/query.h"
#include "resolver/dns/response.h"

namespace ztgate::controlplane {

namespace dns = resolver::dns;
namespace policy = resolver::policy;

struct QueryPipeline::Query {
  dns::Message message;
  dns::QueryInfo info;
  resolver::cache::CacheKey cache_key;
  IpAddress client;
  std::vector<std::string> identities;
  resolver::transport::ResponseCallback done;
  std::shared_ptr<const policy::Policy> policy;
  const policy::Group* group = nullptr;
  bool audit_denied = false;
  absl::Time install_started;
  DecisionRecord record;
};

namespace {

// Presentation form without the final dot, as the decision log and the
// flow table label names.
std::string DisplayName(const dns::Name& name) {
  std::string text = name.ToString();
  if (text.size() > 1 && text.back() == '.') text.pop_back();
  return text;
}

bool IsHint(const dns::LearnedAddress& learned) {
  return learned.type == dns::type::kSvcb || learned.type == dns::type::kHttps;
}

// Removes A or AAAA records of the family the client did not query from:
// the allow table keys flows by the client's address of one family, so an
// address of the other family could never be reached through the gateway.
// NOTE: a dual-stack client therefore learns IPv6 addresses only when it
// queries over IPv6, and IPv4 addresses only over IPv4.
void RemoveOtherFamily(dns::Message& answer, bool client_is_v4) {
  const uint16_t other = client_is_v4 ? dns::type::kAaaa : dns::type::kA;
  for (auto* section : {&answer.answers, &answer.additionals}) {
    std::erase_if(*section, [other](const dns::ResourceRecord& record) {
      return record.type == other;
    });
  }
}

// Keeps only the Extended DNS Errors of an upstream's OPT record and sets
// the rest as this server advertises it.
void PrepareEdns(dns::Message& answer, const dns::QueryInfo& info) {
  if (!info.has_edns) {
    answer.edns.reset();
    return;
  }
  dns::Edns edns;
  edns.udp_payload_size = dns::kAdvertisedPayloadSize;
  edns.dnssec_ok = info.dnssec_ok;
  if (answer.edns) {
    for (const dns::EdnsOption& option : answer.edns->options) {
      if (option.code == dns::edns_option::kExtendedError) edns.options.push_back(option);
    }
  }
  answer.edns = std::move(edns);
}

uint32_t TtlSeconds(absl::Duration lifetime) {
  const int64_t seconds = absl::ToInt64Seconds(lifetime);
  return static_cast<uint32_t>(std::clamp<int64_t>(seconds, 0, INT32_MAX));
}

}  // namespace

QueryPipeline::QueryPipeline(PipelineOptions options, policy::PolicyHolder* policy,
                             resolver::cache::DnsCache* cache,
                             std::shared_ptr<resolver::transport::UpstreamPool> upstreams,
                             FlowInstaller* installer, DecisionSink sink)
    : options_(options),
      policy_(policy),
      cache_(cache),
      upstreams_(std::move(upstreams)),
      installer_(installer != nullptr && installer->enabled() ? installer : nullptr),
      sink_(std::move(sink)) {}

void QueryPipeline::HandleQuery(std::string wire, const resolver::transport::ClientContext& client,
                                resolver::transport::ResponseCallback done) {
  auto query = std::make_shared<Query>();
  query->client = client.address;
  query->done = std::move(done);
  query->record.time = absl::Now();
  query->record.client = client.address;
  query->record.identity = client.identity.name;
  query->record.transport = std::string(client.transport);
  query->record.client_port = client.port;
  if (options_.capture_messages) query->record.query_wire = wire;
  for (const std::string* id : {&client.identity.name, &client.identity.fingerprint}) {
    if (!id->empty()) query->identities.push_back(*id);
  }

  absl::StatusOr<dns::Message> parsed = dns::ParseMessage(wire);
  if (!parsed.ok()) {
    std::optional<std::string> formerr = dns::FormErrResponse(wire);
    query->record.detail = std::string(ToStd(parsed.status().message()));
    ReplyWire(*query, formerr.value_or(""),
              formerr ? DecisionVerdict::kFormErr : DecisionVerdict::kDropped,
              dns::rcode::kFormErr);
    return;
  }
  query->message = std::move(*parsed);

  absl::StatusOr<dns::QueryInfo> info = dns::ExtractQuery(query->message);
  if (!info.ok()) {
    const bool malformed = info.status().code() == absl::StatusCode::kInvalidArgument;
    query->record.detail = std::string(ToStd(info.status().message()));
    Reply(*query, dns::QueryErrorResponse(query->message, info.status()),
          malformed ? DecisionVerdict::kFormErr : DecisionVerdict::kRejected);
    return;
  }
  query->info = std::move(*info);
  query->record.name = DisplayName(query->info.qname);
  query->record.qtype = query->info.qtype;

  const dns::LocalQuery local = dns::ClassifyLocalQuery(query->info);
  if (local == dns::LocalQuery::kZoneTransfer) {
    Reply(*query, dns::ZoneTransferResponse(query->message), DecisionVerdict::kRejected);
    return;
  }

  // The verdict on the query name comes first, so a denied name is blocked
  // for every query type, ANY included.
  query->policy = policy_->Load();
  query->group = query->policy->SelectGroup(query->client, query->identities);
  if (query->group != nullptr) query->record.group = query->group->name;
  const policy::Decision decision = query->policy->DecideName(query->group, query->info.qname);
  if (decision.blocks()) {
    ReplyBlocked(*query, decision);
    return;
  }
  query->audit_denied = decision.verdict != policy::Verdict::kAllow;

  if (local == dns::LocalQuery::kAny) {
    Reply(*query, dns::AnyMinimalResponse(query->message), DecisionVerdict::kLocal);
    return;
  }
  Resolve(std::move(query));
}

void QueryPipeline::Resolve(std::shared_ptr<Query> query) {
  const dns::QueryInfo& info = query->info;
  query->cache_key =
      resolver::cache::MakeCacheKey(info.qname, info.qtype, info.qclass, info.dnssec_ok);
  if (std::optional<std::string> cached = cache_->Lookup(query->cache_key)) {
    absl::StatusOr<dns::Message> answer = dns::ParseMessage(*cached);
    if (answer.ok()) {
      query->record.cache_hit = true;
      OnAnswer(std::move(query), std::move(*answer));
      return;
    }
    spdlog::error("cached answer for {} does not parse: {}", query->record.name,
                  answer.status().message());
  }

  dns::Message upstream = query->message;
  dns::StripClientSubnet(upstream);
  absl::StatusOr<std::string> wire = dns::EncodeMessage(upstream);
  if (!wire.ok()) {
    query->record.detail = std::string(ToStd(wire.status().message()));
    Reply(*query, dns::UpstreamFailureResponse(query->message, dns::ede::kNetworkError),
          DecisionVerdict::kUpstreamFailed);
    return;
  }
  upstreams_->Resolve(std::move(*wire), [this, query](absl::StatusOr<std::string> answer) {
    OnUpstreamAnswer(query, std::move(answer));
  });
}

void QueryPipeline::OnUpstreamAnswer(std::shared_ptr<Query> query,
                                     absl::StatusOr<std::string> wire) {
  if (!wire.ok()) {
    const uint16_t ede = wire.status().code() == absl::StatusCode::kDeadlineExceeded
                             ? dns::ede::kNoReachableAuthority
                             : dns::ede::kNetworkError;
    query->record.detail = std::string(ToStd(wire.status().message()));
    Reply(*query, dns::UpstreamFailureResponse(query->message, ede),
          DecisionVerdict::kUpstreamFailed);
    return;
  }
  absl::StatusOr<dns::Message> answer = dns::ParseMessage(*wire);
  if (!answer.ok()) {
    query->record.detail = StrCat("upstream answer does not parse: ", answer.status().message());
    Reply(*query, dns::UpstreamFailureResponse(query->message, dns::ede::kNetworkError),
          DecisionVerdict::kUpstreamFailed);
    return;
  }
  cache_->Insert(query->cache_key, *answer);
  OnAnswer(std::move(query), std::move(*answer));
}

void QueryPipeline::OnAnswer(std::shared_ptr<Query> query, dns::Message answer) {
  // The CNAME rule runs here, on cached and fresh answers alike.
  const dns::AnswerChain chain = dns::WalkAnswer(answer, query->info.qname);
  const policy::Decision decision = query->policy->DecideChain(query->group, chain.names);
  if (decision.blocks()) {
    ReplyBlocked(*query, decision);
    return;
  }
  if (decision.verdict != policy::Verdict::kAllow) query->audit_denied = true;

  // Hints of the other family are removed like A or AAAA records of that
  // family; with hints configured off, all of them are.
  const bool client_is_v4 = query->client.is_v4();
  const bool strip_hints = options_.hints == HintMode::kStrip;
  dns::StripAddressHints(answer, strip_hints    ? dns::HintFamily::kBoth
                                 : client_is_v4 ? dns::HintFamily::kIpv6
                                                : dns::HintFamily::kIpv4);
  RemoveOtherFamily(answer, client_is_v4);
  dns::RemoveUnjudgedAddresses(answer, chain);

  // One walk serves both the decision log and the flows to install.
  std::vector<FlowToInstall> flows;
  auto identities = std::make_shared<const std::vector<std::string>>(query->identities);
  for (const dns::LearnedAddress& learned : chain.addresses) {
    if (learned.address.is_v4() != client_is_v4 || (strip_hints && IsHint(learned))) continue;
    query->record.addresses.push_back(learned.address);
    const absl::Duration lifetime =
        std::max(absl::Seconds(learned.ttl), options_.lifetime_floor) + options_.grace;
    flows.push_back({query->client, learned.address, lifetime, query->record.name, identities});
  }
  if (installer_ == nullptr || query->record.addresses.empty()) {
    Release(*query, std::move(answer), query->audit_denied ? DecisionVerdict::kAuditDenied
                                                           : DecisionVerdict::kAllowed);
    return;
  }
  Install(std::move(query), std::move(answer), std::move(flows));
}

void QueryPipeline::Install(std::shared_ptr<Query> query, dns::Message answer,
                            std::vector<FlowToInstall> flows) {
  query->install_started = absl::Now();
  const IpAddress client = query->client;
  installer_->Install(
      client, std::move(flows),
      [this, query, answer = std::move(answer)](absl::StatusOr<absl::Duration> lifetime) mutable {
        query->record.install_latency = absl::Now() - query->install_started;
        if (!lifetime.ok()) {
          query->record.detail = std::string(ToStd(lifetime.status().message()));
          dns::Message failure = dns::ResponseTo(query->message, dns::rcode::kServFail);
          if (failure.edns) {
            failure.edns->options.push_back(dns::ExtendedError(0, "gateway flow install failed"));
          }
          Reply(*query, failure, DecisionVerdict::kInstallFailed);
          return;
        }
        query->record.installed_lifetime = *lifetime;
        dns::CapTtls(answer, TtlSeconds(*lifetime));
        Release(*query, std::move(answer), query->audit_denied ? DecisionVerdict::kAuditDenied
                                                               : DecisionVerdict::kAllowed);
      });
}

void QueryPipeline::Release(Query& query, dns::Message answer, DecisionVerdict verdict) {
  answer.id = query.info.id;
  answer.questions = query.message.questions;  // The client's letter case.
  answer.set_flag(dns::flag::kQr, true);
  answer.set_flag(dns::flag::kRa, true);
  answer.set_flag(dns::flag::kAa, false);
  answer.set_flag(dns::flag::kRd, query.message.has_flag(dns::flag::kRd));
  PrepareEdns(answer, query.info);
  Reply(query, answer, verdict);
}

void QueryPipeline::ReplyBlocked(Query& query, const policy::Decision& decision) {
  if (decision.verdict == policy::Verdict::kProhibited) {
    Reply(query, dns::ProhibitedResponse(query.message), DecisionVerdict::kProhibited);
    return;
  }
  const uint16_t rcode = query.policy->denied_rcode() == resolver::DeniedRcode::kNxdomain
                             ? dns::rcode::kNxDomain
                             : dns::rcode::kRefused;
  Reply(query, dns::BlockedResponse(query.message, rcode), DecisionVerdict::kDenied);
}

void QueryPipeline::Reply(Query& query, const dns::Message& response, DecisionVerdict verdict) {
  dns::EncodeOptions options;
  // RFC 8467 section 4.1: pad responses to padded queries in 468-octet blocks.
  if (query.info.padded) options.padding_block = dns::kResponsePaddingBlock;
  absl::StatusOr<std::string> wire = dns::EncodeMessage(response, options);
  if (!wire.ok()) {
    spdlog::error("cannot encode the response to {} for {}: {}", query.record.name,
                  query.client.ToString(), wire.status().message());
    ReplyWire(query, "", DecisionVerdict::kDropped, response.rcode);
    return;
  }
  ReplyWire(query, std::move(*wire), verdict, response.rcode);
}

void QueryPipeline::ReplyWire(Query& query, std::string wire, DecisionVerdict verdict,
                              uint16_t rcode) {
  counts_[static_cast<size_t>(verdict)].fetch_add(1, std::memory_order_relaxed);
  query.record.verdict = verdict;
  query.record.rcode = rcode;
  if (options_.capture_messages) {
    query.record.response_wire = wire;
    query.record.response_time = absl::Now();
  }
  if (sink_) sink_(query.record);
  query.done(std::move(wire));
}

}  // namespace ztgate::controlplane
