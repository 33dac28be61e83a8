// Every reason the dataplane passes or drops a frame, defined once with the
// name the stats API reports and a description. The packet path never logs;
// it increments one of these per-lcore counters instead.
#ifndef ZTGATE_DATAPLANE_VERDICT_REASONS_H_
#define ZTGATE_DATAPLANE_VERDICT_REASONS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ztgate::dataplane {

// X(enumerator, "stats name", "description")
#define ZTGATE_DROP_REASONS(X)                                                         \
  X(kNoFlow, "no_flow", "no allow-table entry or exception for the address pair")     \
  X(kMalformed, "malformed", "truncated or invalid Ethernet, IP or transport header") \
  X(kEthertype, "ethertype", "ethertype not allowed by the config")                    \
  X(kFragment, "fragment", "non-first IPv4 or IPv6 fragment without an allowed pair")  \
  X(kIcmpError, "icmp_error", "ICMP error whose embedded header is not an allowed pair") \
  X(kSourceRoute, "source_route", "IPv4 source route option or IPv6 routing header with segments left") \
  X(kExpired, "expired", "allow-table entry past its deadline and idle timeout")        \
  X(kTxFailed, "tx_failed", "the output port's transmit queue was full")

#define ZTGATE_PASS_REASONS(X)                                        \
  X(kFlow, "flow", "matched a live allow-table entry")                \
  X(kException, "exception", "address in an exception subnet")        \
  X(kArp, "arp", "ARP")                                               \
  X(kNdp, "ndp", "IPv6 neighbour or router discovery (ICMPv6 133-137) and MLD") \
  X(kDhcp, "dhcp", "DHCPv4 or DHCPv6")                                \
  X(kIcmpError, "icmp_error", "ICMP error for an allowed pair")       \
  X(kEthertype, "ethertype", "ethertype listed in the config")

#define ZTGATE_ENUMERATOR(id, name, description) id,
enum class DropReason : uint8_t { ZTGATE_DROP_REASONS(ZTGATE_ENUMERATOR) kCount };
enum class PassReason : uint8_t { ZTGATE_PASS_REASONS(ZTGATE_ENUMERATOR) kCount };
#undef ZTGATE_ENUMERATOR

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);
inline constexpr size_t kPassReasonCount = static_cast<size_t>(PassReason::kCount);

struct ReasonInfo {
  std::string_view name;
  std::string_view description;
};

#define ZTGATE_INFO(id, name, description) ReasonInfo{name, description},
inline constexpr ReasonInfo kDropReasonInfo[] = {ZTGATE_DROP_REASONS(ZTGATE_INFO)};
inline constexpr ReasonInfo kPassReasonInfo[] = {ZTGATE_PASS_REASONS(ZTGATE_INFO)};
#undef ZTGATE_INFO

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_VERDICT_REASONS_H_
