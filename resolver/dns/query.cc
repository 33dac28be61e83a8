// Extracting a client query's fields; see query.h.
#include "resolver/dns/query.h"

#include "common/str_cat.h"
#include "resolver/dns/constants.h"

namespace ztgate::resolver::dns {

absl::StatusOr<QueryInfo> ExtractQuery(const Message& query) {
  if (query.has_flag(flag::kQr)) return absl::InvalidArgumentError("QR bit set in a query");
  if (query.opcode() != kOpcodeQuery) {
    return absl::UnimplementedError(StrCat("opcode ", query.opcode(), " is not supported"));
  }
  if (query.questions.size() != 1) {
    return absl::InvalidArgumentError(
        StrCat("query has ", query.questions.size(), " questions, expected 1"));
  }
  if (!query.answers.empty() || !query.authorities.empty()) {
    return absl::InvalidArgumentError("query has answer or authority records");
  }
  const Question& question = query.questions.front();
  if (question.type == type::kOpt) return absl::InvalidArgumentError("QTYPE OPT in a query");

  QueryInfo info;
  info.id = query.id;
  info.qname = question.name;
  info.qtype = question.type;
  info.qclass = question.dns_class;
  info.recursion_desired = query.has_flag(flag::kRd);
  if (!query.edns) return info;

  const Edns& edns = *query.edns;
  if (edns.version != 0) {
    return absl::FailedPreconditionError(StrCat("EDNS version ", edns.version, " is not 0"));
  }
  info.has_edns = true;
  info.dnssec_ok = edns.dnssec_ok;
  info.padded = FindOption(edns, edns_option::kPadding) != nullptr;
  if (const EdnsOption* ecs = FindOption(edns, edns_option::kClientSubnet)) {
    absl::StatusOr<ClientSubnet> subnet = ParseClientSubnet(ecs->data);
    if (!subnet.ok()) return subnet.status();
    // RFC 7871 section 7.1.1: a query's SCOPE PREFIX-LENGTH must be 0.
    if (subnet->scope_prefix_length != 0) {
      return absl::InvalidArgumentError("ECS scope prefix length is not 0 in a query");
    }
    info.client_subnet = *subnet;
  }
  return info;
}

LocalQuery ClassifyLocalQuery(const QueryInfo& info) {
  if (info.qtype == type::kAny) return LocalQuery::kAny;
  if (info.qtype == type::kAxfr || info.qtype == type::kIxfr) return LocalQuery::kZoneTransfer;
  return LocalQuery::kNone;
}

}  // namespace ztgate::resolver::dns
