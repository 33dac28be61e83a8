// SVCB and HTTPS RDATA; see svcb.h.
#include "resolver/dns/svcb.h"

#include <array>
#include <cstring>

#include "common/str_cat.h"
#include "resolver/dns/constants.h"
#include "resolver/dns/wire_reader.h"

namespace ztgate::resolver::dns {
namespace {

absl::Status CheckHint(const SvcParam& param) {
  const size_t unit = param.key == svc_param::kIpv4Hint ? 4 : 16;
  if (param.value.empty() || param.value.size() % unit != 0) {
    return absl::InvalidArgumentError(StrCat("SvcParam ", param.key, " of ", param.value.size(),
                                             " octets is not a list of addresses"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SvcbRdata> ParseSvcb(std::string_view rdata) {
  WireReader reader(rdata);
  SvcbRdata svcb;
  if (absl::Status s = reader.ReadU16(svcb.priority); !s.ok()) return s;
  if (absl::Status s = reader.ReadName(svcb.target, /*allow_compression=*/false); !s.ok()) {
    return s;
  }
  while (reader.remaining() > 0) {
    SvcParam param;
    uint16_t length = 0;
    std::string_view value;
    if (absl::Status s = reader.ReadU16(param.key); !s.ok()) return s;
    if (absl::Status s = reader.ReadU16(length); !s.ok()) return s;
    if (absl::Status s = reader.ReadBytes(length, value); !s.ok()) return s;
    if (!svcb.params.empty() && param.key <= svcb.params.back().key) {
      return absl::InvalidArgumentError(
          StrCat("SvcParam key ", param.key, " is not in increasing order"));
    }
    param.value.assign(value);
    if (param.key == svc_param::kIpv4Hint || param.key == svc_param::kIpv6Hint) {
      if (absl::Status s = CheckHint(param); !s.ok()) return s;
    }
    svcb.params.push_back(std::move(param));
  }
  return svcb;
}

std::string EncodeSvcb(const SvcbRdata& svcb) {
  std::string out;
  AppendU16(out, svcb.priority);
  out += svcb.target.wire();
  for (const SvcParam& param : svcb.params) {
    AppendU16(out, param.key);
    AppendU16(out, static_cast<uint16_t>(param.value.size()));
    out += param.value;
  }
  return out;
}

std::vector<IpAddress> AddressHints(const SvcbRdata& svcb) {
  std::vector<IpAddress> addresses;
  for (const SvcParam& param : svcb.params) {
    if (param.key == svc_param::kIpv4Hint) {
      for (size_t i = 0; i + 4 <= param.value.size(); i += 4) {
        std::array<uint8_t, 4> bytes;
        std::memcpy(bytes.data(), param.value.data() + i, 4);
        addresses.push_back(IpAddress::FromV4(bytes));
      }
    } else if (param.key == svc_param::kIpv6Hint) {
      for (size_t i = 0; i + 16 <= param.value.size(); i += 16) {
        std::array<uint8_t, 16> bytes;
        std::memcpy(bytes.data(), param.value.data() + i, 16);
        addresses.push_back(IpAddress::FromV6(bytes));
      }
    }
  }
  return addresses;
}

}  // namespace ztgate::resolver::dns
