// The classify step of the worker loop: parse a burst of frames, look their
// address pairs up in the allow table in one bulk call, and give each frame
// a verdict with its reason. The direction is a compile-time flag: from the
// inside port the client is the source address, from the outside port the
// client is the destination. Used by the Forwarder and by the benchmarks.
//
// A dropped IP frame whose client is in the audit client list is marked
// audited: the worker forwards and counts it instead (per-group audit mode).
//
// Order of checks for an IP frame:
//   1. a malformed or source-routed frame is dropped;
//   2. a live entry for (client, remote) passes;
//   3. a remote address in an exception subnet passes;
//   4. DHCP, NDP, and ICMP errors that quote a packet of a live pair of the
//      same client pass, unless the config turns them off;
//   5. anything else is dropped as expired, fragment, icmp_error or no_flow.
#ifndef ZTGATE_DATAPLANE_CLASSIFIER_H_
#define ZTGATE_DATAPLANE_CLASSIFIER_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/allow_table.h"
#include "dataplane/exceptions.h"
#include "dataplane/packet_parser.h"
#include "dataplane/verdict_reasons.h"

namespace ztgate::dataplane {

inline constexpr uint16_t kBurstSize = 32;

// Protocols and ethertypes that pass without a flow, from the config.
struct PassPolicy {
  bool arp = true;
  bool ndp = true;
  bool dhcp = true;
  bool icmp_errors = true;
  std::vector<uint16_t> ethertypes;
};

struct Verdict {
  bool pass = false;
  uint8_t reason = 0;  // A PassReason when `pass` is true, else a DropReason.
  // A drop whose client is an audit client: forward and count it as
  // audited, as global audit mode does for every drop.
  bool audited = false;
};

// Everything a burst reads; loaded once per burst.
struct ClassifyContext {
  const AllowTable* table = nullptr;
  const ExceptionSet* exceptions = nullptr;  // May be null: no exceptions.
  const PassPolicy* pass = nullptr;
  uint64_t now = 0;  // Allow-table clock ticks.
  // Clients whose would-be drops are audited; may be null: none.
  const ExceptionSet* audit_clients = nullptr;
};

// Per-burst scratch space, kept by each worker so the packet path does not
// allocate.
// Largest frame a multi-segment mbuf chain is copied into before parsing:
// above the 9216-byte jumbo frames that common NICs accept. Longer chains
// are parsed from their first 16 KiB and count as truncated.
inline constexpr uint32_t kMaxLinearizedFrame = 16384;

struct ClassifyScratch {
  ParsedFrame frames[kBurstSize];
  FlowKey keys[kBurstSize];
  const FlowKey* key_pointers[kBurstSize];
  FlowEntry* entries[kBurstSize];
  uint8_t lookup_slot[kBurstSize];  // Frame index of each key.
  // A chained frame, copied whole so that headers that cross a segment
  // boundary parse. Only scattered receive (jumbo frames) makes chains.
  alignas(64) uint8_t linear[kMaxLinearizedFrame];
};

namespace classifier_internal {

inline Verdict Pass(PassReason reason) { return {true, static_cast<uint8_t>(reason)}; }
inline Verdict Drop(DropReason reason) { return {false, static_cast<uint8_t>(reason)}; }

template <bool kInsideToOutside>
void MakeKey(const ParsedFrame& frame, FlowKey& key) {
  key.client = kInsideToOutside ? frame.source : frame.destination;
  key.remote = kInsideToOutside ? frame.destination : frame.source;
}

// The quoted packet of an ICMP error travelled the other way: from the
// inside port, the error reports a packet the client received, so the
// client is the quoted destination. The quoted client must be the outer
// client, so a host cannot borrow another client's allowed pair.
template <bool kInsideToOutside>
bool IcmpErrorIsAllowed(const ClassifyContext& context, const ParsedFrame& frame,
                        const FlowKey& outer) {
  FlowKey inner;
  inner.client = kInsideToOutside ? frame.inner_destination : frame.inner_source;
  inner.remote = kInsideToOutside ? frame.inner_source : frame.inner_destination;
  if (std::memcmp(&inner.client, &outer.client, sizeof(Address16)) != 0) return false;
  const FlowEntry* entry = context.table->Lookup(inner);
  if (entry != nullptr && entry->IsAlive(context.now, context.table->idle_ticks())) return true;
  return context.exceptions != nullptr &&
         context.exceptions->Contains(inner.remote, frame.is_v4);
}

inline Verdict NonIpVerdict(const PassPolicy& pass, const ParsedFrame& frame) {
  if (frame.kind == FrameKind::kArp) {
    return pass.arp ? Pass(PassReason::kArp) : Drop(DropReason::kEthertype);
  }
  for (uint16_t ethertype : pass.ethertypes) {
    if (ethertype == frame.ethertype) return Pass(PassReason::kEthertype);
  }
  return Drop(DropReason::kEthertype);
}

template <bool kInsideToOutside>
Verdict IpVerdict(const ClassifyContext& context, const ParsedFrame& frame, const FlowKey& key,
                  FlowEntry* entry, uint32_t length) {
  if (entry != nullptr && entry->IsAlive(context.now, context.table->idle_ticks())) {
    entry->Touch(context.now, length);
    return Pass(PassReason::kFlow);
  }
  if (context.exceptions != nullptr && context.exceptions->Contains(key.remote, frame.is_v4)) {
    return Pass(PassReason::kException);
  }
  const PassPolicy& pass = *context.pass;
  if (frame.is_dhcp && pass.dhcp) return Pass(PassReason::kDhcp);
  if (frame.is_ndp && pass.ndp) return Pass(PassReason::kNdp);
  if (frame.is_icmp_error) {
    if (pass.icmp_errors && IcmpErrorIsAllowed<kInsideToOutside>(context, frame, key)) {
      return Pass(PassReason::kIcmpError);
    }
    return Drop(DropReason::kIcmpError);
  }
  if (unlikely(entry != nullptr)) return Drop(DropReason::kExpired);
  if (frame.later_fragment) return Drop(DropReason::kFragment);
  return Drop(DropReason::kNoFlow);
}

inline Verdict MalformedVerdict(const ParsedFrame& frame) {
  return frame.malformed == MalformedReason::kSourceRoute ? Drop(DropReason::kSourceRoute)
                                                          : Drop(DropReason::kMalformed);
}

}  // namespace classifier_internal

// Parses one frame into `frame`. A single-segment mbuf, the common case,
// is read in place; a chain is first copied into scratch.linear.
inline void ParseMbuf(rte_mbuf* mbuf, ClassifyScratch& scratch, ParsedFrame& frame) {
  if (likely(mbuf->nb_segs == 1)) {
    ParseFrame(rte_pktmbuf_mtod(mbuf, const uint8_t*), rte_pktmbuf_data_len(mbuf), frame);
    return;
  }
  const uint32_t length = std::min(rte_pktmbuf_pkt_len(mbuf), kMaxLinearizedFrame);
  const auto* data =
      static_cast<const uint8_t*>(rte_pktmbuf_read(mbuf, 0, length, scratch.linear));
  ParseFrame(data, data == nullptr ? 0 : length, frame);
}

// Gives a verdict for each of `count` (at most kBurstSize) frames.
template <bool kInsideToOutside>
void ClassifyBurst(const ClassifyContext& context, rte_mbuf* const* mbufs, uint16_t count,
                   ClassifyScratch& scratch, Verdict* verdicts) {
  using namespace classifier_internal;
  unsigned lookups = 0;
  for (uint16_t i = 0; i < count; ++i) {
    if (i + 1 < count) rte_prefetch0(rte_pktmbuf_mtod(mbufs[i + 1], const void*));
    ParsedFrame& frame = scratch.frames[i];
    ParseMbuf(mbufs[i], scratch, frame);
    if (frame.kind == FrameKind::kIp) {
      MakeKey<kInsideToOutside>(frame, scratch.keys[lookups]);
      scratch.key_pointers[lookups] = &scratch.keys[lookups];
      scratch.lookup_slot[lookups] = static_cast<uint8_t>(i);
      ++lookups;
    } else if (frame.kind == FrameKind::kMalformed) {
      verdicts[i] = MalformedVerdict(frame);
    } else {
      verdicts[i] = NonIpVerdict(*context.pass, frame);
    }
  }
  if (lookups == 0) return;
  context.table->LookupBulk(scratch.key_pointers, lookups, scratch.entries);
  for (unsigned k = 0; k < lookups; ++k) {
    const uint8_t i = scratch.lookup_slot[k];
    const ParsedFrame& frame = scratch.frames[i];
    verdicts[i] = IpVerdict<kInsideToOutside>(context, frame, scratch.keys[k],
                                              scratch.entries[k], rte_pktmbuf_pkt_len(mbufs[i]));
    if (unlikely(!verdicts[i].pass && context.audit_clients != nullptr)) {
      verdicts[i].audited = context.audit_clients->Contains(scratch.keys[k].client, frame.is_v4);
    }
  }
}

}  // namespace ztgate::dataplane

#endif  // ZTGATE_DATAPLANE_CLASSIFIER_H_
