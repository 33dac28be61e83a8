// Answer walking and edits; see answer.h.
#include "resolver/dns/answer.h"

#include <algorithm>

#include "common/str_cat.h"
#include "resolver/dns/constants.h"
#include "resolver/dns/svcb.h"

namespace ztgate::resolver::dns {
namespace {

void CollectAddresses(const Message& answer, const Name& owner, AnswerChain& chain) {
  for (const ResourceRecord& record : answer.answers) {
    if (record.dns_class != dns_class::kIn || !(record.name == owner)) continue;
    if (record.type == type::kA || record.type == type::kAaaa) {
      absl::StatusOr<IpAddress> address = RdataAddress(record);
      if (address.ok()) chain.addresses.push_back({*address, record.ttl, owner, record.type});
    } else if (record.type == type::kSvcb || record.type == type::kHttps) {
      absl::StatusOr<SvcbRdata> svcb = ParseSvcb(record.rdata);
      if (!svcb.ok()) continue;
      for (const IpAddress& address : AddressHints(*svcb)) {
        chain.addresses.push_back({address, record.ttl, owner, record.type});
      }
    }
  }
}

// Returns the next name of the chain after `current`: a CNAME owned by it,
// else a DNAME owning an ancestor of it (RFC 6672 section 2.2 substitution).
std::optional<Name> NextLink(const Message& answer, const Name& current) {
  for (const ResourceRecord& record : answer.answers) {
    if (record.type == type::kCname && record.dns_class == dns_class::kIn &&
        record.name == current) {
      absl::StatusOr<Name> target = RdataName(record);
      if (target.ok()) return *target;
    }
  }
  for (const ResourceRecord& record : answer.answers) {
    if (record.type != type::kDname || record.dns_class != dns_class::kIn) continue;
    if (record.name == current || !current.IsSubdomainOf(record.name)) continue;
    absl::StatusOr<Name> target = RdataName(record);
    if (!target.ok()) continue;
    absl::StatusOr<Name> substituted = current.ReplaceSuffix(record.name, *target);
    if (substituted.ok()) return *substituted;
  }
  return std::nullopt;
}

void CapSection(std::vector<ResourceRecord>& records, uint32_t max_ttl) {
  for (ResourceRecord& record : records) record.ttl = std::min(record.ttl, max_ttl);
}

// Removes the selected hints from one SVCB or HTTPS record; returns whether
// the record changed.
bool StripRecordHints(ResourceRecord& record, HintFamily family) {
  if (record.type != type::kSvcb && record.type != type::kHttps) return false;
  absl::StatusOr<SvcbRdata> svcb = ParseSvcb(record.rdata);
  if (!svcb.ok()) return false;
  const bool v4 = family != HintFamily::kIpv6;
  const bool v6 = family != HintFamily::kIpv4;
  const size_t removed = std::erase_if(svcb->params, [v4, v6](const SvcParam& param) {
    return (v4 && param.key == svc_param::kIpv4Hint) || (v6 && param.key == svc_param::kIpv6Hint);
  });
  if (removed == 0) return false;
  record.rdata = EncodeSvcb(*svcb);
  return true;
}

int StripHints(std::vector<ResourceRecord>& records, HintFamily family) {
  int changed = 0;
  for (ResourceRecord& record : records) changed += StripRecordHints(record, family) ? 1 : 0;
  return changed;
}

bool IsAddress(const ResourceRecord& record) {
  return record.type == type::kA || record.type == type::kAaaa;
}

}  // namespace

int RemoveUnjudgedAddresses(Message& message, const AnswerChain& chain) {
  const auto outside_chain = [&chain](const ResourceRecord& record) {
    return std::find(chain.names.begin(), chain.names.end(), record.name) == chain.names.end();
  };
  int changed = static_cast<int>(std::erase_if(message.answers, [&](const ResourceRecord& r) {
    return IsAddress(r) && (outside_chain(r) || r.dns_class != dns_class::kIn);
  }));
  changed += static_cast<int>(std::erase_if(message.additionals, IsAddress));
  for (ResourceRecord& record : message.answers) {
    if (outside_chain(record)) changed += StripRecordHints(record, HintFamily::kBoth) ? 1 : 0;
  }
  changed += StripHints(message.additionals, HintFamily::kBoth);
  return changed;
}

AnswerChain WalkAnswer(const Message& answer, const Name& qname) {
  AnswerChain chain;
  chain.names.push_back(qname);
  for (int links = 0;; ++links) {
    const Name current = chain.names.back();
    CollectAddresses(answer, current, chain);
    std::optional<Name> next = NextLink(answer, current);
    if (!next) break;
    const bool loops = std::find(chain.names.begin(), chain.names.end(), *next) !=
                       chain.names.end();
    if (loops || links == kMaxChainLinks) {
      chain.broken = true;
      break;
    }
    chain.names.push_back(std::move(*next));
  }
  return chain;
}

void CapTtls(Message& message, uint32_t max_ttl) {
  CapSection(message.answers, max_ttl);
  CapSection(message.authorities, max_ttl);
  CapSection(message.additionals, max_ttl);
}

int StripAddressHints(Message& message, HintFamily family) {
  return StripHints(message.answers, family) + StripHints(message.additionals, family);
}

absl::StatusOr<Name> RdataName(const ResourceRecord& record) {
  // Parsed RDATA is uncompressed, so the name's end is found by its labels.
  size_t offset = 0;
  while (offset < record.rdata.size() && record.rdata[offset] != 0) {
    offset += 1 + static_cast<uint8_t>(record.rdata[offset]);
  }
  if (offset >= record.rdata.size()) {
    return absl::InvalidArgumentError(StrCat("RDATA of type ", record.type, " holds no name"));
  }
  return Name::FromWire(std::string_view(record.rdata).substr(0, offset + 1));
}

absl::StatusOr<IpAddress> RdataAddress(const ResourceRecord& record) {
  if (record.type != type::kA && record.type != type::kAaaa) {
    return absl::InvalidArgumentError(StrCat("type ", record.type, " carries no address"));
  }
  return IpAddress::FromBytes(record.rdata);
}

}  // namespace ztgate::resolver::dns
