// Exception subnets; see exceptions.h.
#include "dataplane/exceptions.h"

#include <algorithm>

#include <rte_errno.h>

#include "common/str_cat.h"

namespace ztgate::dataplane {
namespace {

// rte_lpm and rte_lpm6 names must be unique in the process.
std::atomic<uint32_t> g_generation{0};

// tbl8 groups hold the prefixes longer than /24 (IPv4) or the deeper levels
// of IPv6 prefixes; one group per prefix covers the worst case.
constexpr uint32_t kMinTbl8Groups = 256;

}  // namespace

absl::StatusOr<std::unique_ptr<ExceptionSet>> ExceptionSet::Create(
    const std::vector<IpPrefix>& prefixes, int socket_id) {
  if (prefixes.size() > Exceptions::kMaxPrefixes) {
    return absl::InvalidArgumentError(StrCat(prefixes.size(), " exception prefixes exceed the limit of ",
                                             Exceptions::kMaxPrefixes));
  }
  std::unique_ptr<ExceptionSet> set(new ExceptionSet());
  set->prefixes_ = prefixes;
  uint32_t v4_count = 0;
  uint32_t v6_count = 0;
  for (const IpPrefix& prefix : prefixes) (prefix.address().is_v4() ? v4_count : v6_count)++;
  const uint32_t generation = g_generation.fetch_add(1);

  if (v4_count > 0) {
    rte_lpm_config config{};
    config.max_rules = v4_count + 1;  // A /0 takes two rules.
    config.number_tbl8s = std::max(kMinTbl8Groups, v4_count);
    const std::string name = StrCat("ztgate_exc4_", generation);
    set->lpm_v4_ = rte_lpm_create(name.c_str(), socket_id, &config);
    if (set->lpm_v4_ == nullptr) {
      return absl::ResourceExhaustedError(StrCat("cannot create the IPv4 exception table: ",
                                                 rte_strerror(rte_errno)));
    }
  }
  if (v6_count > 0) {
    rte_lpm6_config config{};
    config.max_rules = v6_count + 1;
    config.number_tbl8s = std::max(kMinTbl8Groups, v6_count * 4);
    const std::string name = StrCat("ztgate_exc6_", generation);
    set->lpm_v6_ = rte_lpm6_create(name.c_str(), socket_id, &config);
    if (set->lpm_v6_ == nullptr) {
      return absl::ResourceExhaustedError(StrCat("cannot create the IPv6 exception table: ",
                                                 rte_strerror(rte_errno)));
    }
  }
  for (const IpPrefix& prefix : prefixes) {
    const auto& bytes = prefix.address().bytes16();
    int rc = 0;
    if (prefix.address().is_v4()) {
      const uint32_t ip = (uint32_t{bytes[12]} << 24) | (uint32_t{bytes[13]} << 16) |
                          (uint32_t{bytes[14]} << 8) | bytes[15];
      // An IPv4 /0 is depth 0, which rte_lpm rejects; two /1 halves cover it.
      if (prefix.length() == 0) {
        rc = rte_lpm_add(set->lpm_v4_, 0, 1, 0);
        if (rc == 0) rc = rte_lpm_add(set->lpm_v4_, 0x80000000u, 1, 0);
      } else {
        rc = rte_lpm_add(set->lpm_v4_, ip, static_cast<uint8_t>(prefix.length()), 0);
      }
    } else if (prefix.length() == 0) {
      uint8_t high[16] = {0x80};
      rc = rte_lpm6_add(set->lpm_v6_, bytes.data(), 1, 0);
      if (rc == 0) rc = rte_lpm6_add(set->lpm_v6_, high, 1, 0);
    } else {
      rc = rte_lpm6_add(set->lpm_v6_, bytes.data(), static_cast<uint8_t>(prefix.length()), 0);
    }
    if (rc < 0) {
      return absl::ResourceExhaustedError(StrCat("cannot add exception ", prefix.ToString(), ": ",
                                                 rte_strerror(-rc)));
    }
  }
  return set;
}

ExceptionSet::~ExceptionSet() {
  rte_lpm_free(lpm_v4_);
  rte_lpm6_free(lpm_v6_);
}

Exceptions::~Exceptions() { delete current_.load(); }

absl::Status Exceptions::Replace(const std::vector<IpPrefix>& prefixes) {
  absl::StatusOr<std::unique_ptr<ExceptionSet>> next = ExceptionSet::Create(prefixes, socket_id_);
  if (!next.ok()) return next.status();
  ExceptionSet* previous = current_.exchange(next->release(), std::memory_order_acq_rel);
  // Workers that loaded `previous` hold it until their next quiescent state.
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  delete previous;
  return absl::OkStatus();
}

}  // namespace ztgate::dataplane
