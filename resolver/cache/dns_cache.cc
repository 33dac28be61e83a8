// The answer cache; see dns_cache.h.
#include "resolver/cache/dns_cache.h"

#include <algorithm>
#include <limits>

#include "absl/hash/hash.h"
#include "resolver/dns/answer.h"
#include "resolver/dns/constants.h"
#include "resolver/dns/edns.h"

namespace ztgate::resolver::cache {
namespace {

// Estimated bookkeeping per entry beyond its key and wire octets: list node,
// hash slot and string headers.
constexpr size_t kEntryOverheadBytes = 160;
// Offset of the question name in an encoded message.
constexpr size_t kQuestionOffset = dns::kHeaderSize;

std::string PackKey(const CacheKey& key) {
  std::string packed(key.name.canonical());
  packed.push_back(static_cast<char>(key.type >> 8));
  packed.push_back(static_cast<char>(key.type & 0xff));
  packed.push_back(static_cast<char>(key.dns_class >> 8));
  packed.push_back(static_cast<char>(key.dns_class & 0xff));
  packed.push_back(key.dnssec_ok ? 1 : 0);
  return packed;
}

uint32_t ToSeconds(absl::Duration duration) {
  return static_cast<uint32_t>(std::clamp<int64_t>(absl::ToInt64Seconds(duration), 0,
                                                   std::numeric_limits<uint32_t>::max()));
}

uint32_t MinTtl(const dns::Message& message) {
  uint32_t ttl = std::numeric_limits<uint32_t>::max();
  for (const auto* section : {&message.answers, &message.authorities, &message.additionals}) {
    for (const dns::ResourceRecord& record : *section) ttl = std::min(ttl, record.ttl);
  }
  return ttl;
}

// RFC 2308 section 5: the negative TTL is the smaller of the SOA record's
// TTL and its MINIMUM field, the last 4 octets of the RDATA.
std::optional<uint32_t> NegativeTtl(const dns::Message& message) {
  for (const dns::ResourceRecord& record : message.authorities) {
    if (record.type != dns::type::kSoa || record.rdata.size() < 4) continue;
    const size_t at = record.rdata.size() - 4;
    const uint32_t minimum = (uint32_t{static_cast<uint8_t>(record.rdata[at])} << 24) |
                             (uint32_t{static_cast<uint8_t>(record.rdata[at + 1])} << 16) |
                             (uint32_t{static_cast<uint8_t>(record.rdata[at + 2])} << 8) |
                             static_cast<uint8_t>(record.rdata[at + 3]);
    return std::min(record.ttl, minimum);
  }
  return std::nullopt;
}

void StoreU32(std::string& wire, size_t offset, uint32_t value) {
  wire[offset] = static_cast<char>(value >> 24);
  wire[offset + 1] = static_cast<char>((value >> 16) & 0xff);
  wire[offset + 2] = static_cast<char>((value >> 8) & 0xff);
  wire[offset + 3] = static_cast<char>(value & 0xff);
}

uint32_t LoadU32(const std::string& wire, size_t offset) {
  return (uint32_t{static_cast<uint8_t>(wire[offset])} << 24) |
         (uint32_t{static_cast<uint8_t>(wire[offset + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(wire[offset + 2])} << 8) |
         static_cast<uint8_t>(wire[offset + 3]);
}

}  // namespace

struct DnsCache::Shard {
  struct Entry {
    std::string key;
    std::string wire;
    std::vector<size_t> ttl_offsets;
    absl::Time stored_at;
    absl::Time expires_at;
    size_t bytes = 0;
  };

  // Removes `it` from the list and the index.
  void Erase(std::list<Entry>::iterator it) {
    bytes -= it->bytes;
    index.erase(it->key);
    lru.erase(it);
  }

  std::mutex mutex;
  std::list<Entry> lru;  // Most recently used first.
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index;
  size_t bytes = 0;
};

CacheKey MakeCacheKey(const dns::Name& qname, uint16_t qtype, uint16_t qclass, bool dnssec_ok) {
  return CacheKey{qname, qtype, qclass, dnssec_ok};
}

DnsCache::DnsCache(const CacheOptions& options, const Clock* clock)
    : options_(options), clock_(clock) {
  size_t shards = 1;
  while (shards < options_.shards) shards <<= 1;
  options_.shards = shards;
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
  shard_max_entries_ = std::max<size_t>(1, (options_.max_entries + shards - 1) / shards);
  shard_max_bytes_ = std::max<size_t>(1, (options_.max_bytes + shards - 1) / shards);
}

DnsCache::~DnsCache() = default;

DnsCache::Shard& DnsCache::ShardFor(const std::string& packed_key) {
  const size_t hash = absl::HashOf(packed_key);
  return *shards_[hash & (shards_.size() - 1)];
}

std::optional<CacheKind> DnsCache::Insert(const CacheKey& key, const dns::Message& answer) {
  const bool cacheable_rcode =
      answer.rcode == dns::rcode::kNoError || answer.rcode == dns::rcode::kNxDomain;
  const bool answers_key = answer.questions.size() == 1 &&
                          answer.questions[0].name == key.name &&
                          answer.questions[0].type == key.type &&
                          answer.questions[0].dns_class == key.dns_class;
  if (options_.max_entries == 0 || !cacheable_rcode || answer.has_flag(dns::flag::kTc) ||
      !answers_key) {
    ++not_cacheable_;
    return std::nullopt;
  }
  dns::Message stored = answer;
  stored.id = 0;
  if (stored.edns) dns::RemoveOptions(*stored.edns, dns::edns_option::kPadding);

  const bool negative = answer.rcode == dns::rcode::kNxDomain || answer.answers.empty();
  uint32_t ttl = 0;
  if (negative) {
    std::optional<uint32_t> negative_ttl = NegativeTtl(answer);
    if (!negative_ttl) {
      ++not_cacheable_;
      return std::nullopt;
    }
    ttl = std::min(*negative_ttl, ToSeconds(options_.max_negative_ttl));
  } else {
    ttl = std::min(MinTtl(answer), ToSeconds(options_.max_ttl));
  }
  if (ttl == 0) {
    ++not_cacheable_;
    return std::nullopt;
  }
  // Served TTLs never exceed the entry's lifetime, so they count down to 0
  // together with it (an SOA's TTL becomes the negative TTL).
  dns::CapTtls(stored, ttl);

  Shard::Entry entry;
  entry.key = PackKey(key);
  absl::StatusOr<std::string> wire = dns::EncodeMessage(stored, {.ttl_offsets = &entry.ttl_offsets});
  if (!wire.ok()) {
    ++not_cacheable_;
    return std::nullopt;
  }
  entry.wire = std::move(*wire);
  entry.stored_at = clock_->Now();
  entry.expires_at = entry.stored_at + absl::Seconds(ttl);
  entry.bytes = kEntryOverheadBytes + entry.key.size() + entry.wire.size() +
                entry.ttl_offsets.size() * sizeof(size_t);
  if (entry.bytes > shard_max_bytes_) {
    ++not_cacheable_;
    return std::nullopt;
  }

  Shard& shard = ShardFor(entry.key);
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (auto it = shard.index.find(entry.key); it != shard.index.end()) shard.Erase(it->second);
  while (!shard.lru.empty() && (shard.lru.size() + 1 > shard_max_entries_ ||
                                shard.bytes + entry.bytes > shard_max_bytes_)) {
    shard.Erase(std::prev(shard.lru.end()));
    ++evictions_;
  }
  shard.bytes += entry.bytes;
  shard.lru.push_front(std::move(entry));
  shard.index.emplace(shard.lru.front().key, shard.lru.begin());
  ++inserts_;
  return negative ? CacheKind::kNegative : CacheKind::kPositive;
}

std::optional<std::string> DnsCache::Lookup(const CacheKey& key) {
  const std::string packed = PackKey(key);
  Shard& shard = ShardFor(packed);
  const absl::Time now = clock_->Now();
  std::string wire;
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.index.find(packed);
    if (it == shard.index.end()) {
      ++misses_;
      return std::nullopt;
    }
    Shard::Entry& entry = *it->second;
    if (now >= entry.expires_at) {
      shard.Erase(it->second);
      ++expired_;
      ++misses_;
      return std::nullopt;
    }
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    wire = entry.wire;
    const uint32_t elapsed = ToSeconds(now - entry.stored_at);
    for (size_t offset : entry.ttl_offsets) {
      const uint32_t ttl = LoadU32(wire, offset);
      StoreU32(wire, offset, ttl > elapsed ? ttl - elapsed : 0);
    }
  }
  ++hits_;
  // The stored question has the same canonical name, so the same length.
  wire.replace(kQuestionOffset, key.name.wire().size(), key.name.wire());
  return wire;
}

CacheStats DnsCache::stats() const {
  CacheStats stats;
  stats.hits = hits_.load();
  stats.misses = misses_.load();
  stats.inserts = inserts_.load();
  stats.not_cacheable = not_cacheable_.load();
  stats.evictions = evictions_.load();
  stats.expired = expired_.load();
  for (const std::unique_ptr<Shard>& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    stats.entries += shard->lru.size();
    stats.bytes += shard->bytes;
  }
  return stats;
}

}  // namespace ztgate::resolver::cache
