// The answer cache: positive and negative answers (RFC 2308), keyed by name,
// type, class and the DO bit, served with TTLs decreased by the time spent
// in the cache.
//
// Design note.
// - Entries hold the encoded answer (ID 0, padding removed) and the offset
//   of every TTL field, so a hit is one copy and a few 4-octet rewrites, no
//   re-encoding. The caller parses the copy when it needs the records (the
//   address walk and the CNAME rule run on hits as on misses).
// - Lifetime: a positive answer lives for the smallest TTL of its records;
//   a negative answer (NXDOMAIN, or NOERROR without answer records) for
//   min(SOA TTL, SOA MINIMUM) of the SOA in its authority section (RFC 2308
//   section 5), and is not cached without an SOA. Both are capped by the
//   options. SERVFAIL, truncated answers and other rcodes are not cached.
// - Memory: bounded by entries and by bytes, each split evenly over the
//   shards. Each shard evicts least recently used entries first and takes
//   its own mutex, so event-loop threads rarely contend.
#ifndef ZTGATE_RESOLVER_CACHE_DNS_CACHE_H_
#define ZTGATE_RESOLVER_CACHE_DNS_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "resolver/cache/clock.h"
#include "resolver/dns/message.h"
#include "resolver/dns/name.h"

namespace ztgate::resolver::cache {

struct CacheKey {
  dns::Name name;
  uint16_t type = 0;
  uint16_t dns_class = 0;
  bool dnssec_ok = false;
};

struct CacheOptions {
  size_t max_entries = 100000;  // 0 disables the cache.
  size_t max_bytes = size_t{64} << 20;
  absl::Duration max_ttl = absl::Hours(24);
  // RFC 2308 section 5 suggests one to three hours as the largest negative
  // TTL.
  absl::Duration max_negative_ttl = absl::Hours(1);
  // A power of two.
  size_t shards = 16;
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;
  uint64_t not_cacheable = 0;
  uint64_t evictions = 0;
  uint64_t expired = 0;
  size_t entries = 0;
  size_t bytes = 0;
};

enum class CacheKind { kPositive, kNegative };

class DnsCache {
 public:
  // `clock` must outlive the cache.
  DnsCache(const CacheOptions& options, const Clock* clock);
  ~DnsCache();
  DnsCache(const DnsCache&) = delete;
  DnsCache& operator=(const DnsCache&) = delete;

  // Stores `answer` under `key`, replacing an earlier entry. Returns the
  // kind stored, or nothing when the answer is not cacheable or larger than
  // a shard may hold.
  std::optional<CacheKind> Insert(const CacheKey& key, const dns::Message& answer);

  // Returns the stored answer with TTLs decreased by the whole seconds spent
  // in the cache, ID 0, and the question name written with the letter case
  // of `key.name` (DNS 0x20). Nothing when absent or expired.
  std::optional<std::string> Lookup(const CacheKey& key);

  CacheStats stats() const;

 private:
  struct Shard;

  Shard& ShardFor(const std::string& packed_key);

  CacheOptions options_;
  const Clock* clock_;
  std::vector<std::unique_ptr<Shard>> shards_;
  size_t shard_max_entries_;
  size_t shard_max_bytes_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> inserts_{0};
  std::atomic<uint64_t> not_cacheable_{0};
  std::atomic<uint64_t> evictions_{0};
  std::atomic<uint64_t> expired_{0};
};

// The key of the answer to a client query.
CacheKey MakeCacheKey(const dns::Name& qname, uint16_t qtype, uint16_t qclass, bool dnssec_ok);

}  // namespace ztgate::resolver::cache

#endif  // ZTGATE_RESOLVER_CACHE_DNS_CACHE_H_
