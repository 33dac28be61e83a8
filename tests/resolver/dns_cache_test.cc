// Tests of the answer cache with a fake clock: TTLs counting down, expiry,
// negative answers (RFC 2308), what is not cached, the entry and byte
// bounds, the DO bit in the key, 0x20 letter case, concurrent use, and the
// CNAME rule giving the same verdict on a hit as on a miss.
#include "resolver/cache/dns_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "resolver/dns/answer.h"
#include "resolver/dns/constants.h"
#include "resolver/policy/policy.h"
#include "tests/resolver/dns_samples.h"

namespace ztgate::resolver::cache {
namespace {

using ::testing::ElementsAre;

dns::Message Parse(std::string_view wire) {
  absl::StatusOr<dns::Message> message = dns::ParseMessage(wire);
  EXPECT_TRUE(message.ok()) << message.status();
  return message.ok() ? *message : dns::Message();
}

dns::Name N(std::string_view text) { return *dns::Name::FromText(text); }

CacheKey KeyOf(const dns::Message& answer, bool dnssec_ok = false) {
  const dns::Question& question = answer.questions.at(0);
  return MakeCacheKey(question.name, question.type, question.dns_class, dnssec_ok);
}

std::vector<uint32_t> Ttls(const std::vector<dns::ResourceRecord>& records) {
  std::vector<uint32_t> ttls;
  for (const dns::ResourceRecord& record : records) ttls.push_back(record.ttl);
  return ttls;
}

class DnsCacheTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  DnsCache cache_{CacheOptions{}, &clock_};
};

TEST_F(DnsCacheTest, HitServesDecrementedTtls) {
  const dns::Message answer = Parse(dns::samples::AnswerCnameChain());
  ASSERT_EQ(cache_.Insert(KeyOf(answer), answer), CacheKind::kPositive);

  clock_.Advance(absl::Seconds(7));
  std::optional<std::string> hit = cache_.Lookup(KeyOf(answer));
  ASSERT_TRUE(hit.has_value());
  const dns::Message served = Parse(*hit);
  EXPECT_EQ(served.id, 0);
  // The entry lives for the smallest TTL (20 s), and no TTL is served above
  // it: 20, 20, 20, 20 minus 7 seconds.
  EXPECT_THAT(Ttls(served.answers), ElementsAre(13, 13, 13, 13));

  clock_.Advance(absl::Milliseconds(12999));
  EXPECT_TRUE(cache_.Lookup(KeyOf(answer)).has_value());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_FALSE(cache_.Lookup(KeyOf(answer)).has_value());

  const CacheStats stats = cache_.stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.expired, 1u);
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes, 0u);
}

TEST_F(DnsCacheTest, LetterCaseOfQueryIsEchoed) {
  const dns::Message answer = Parse(dns::samples::AnswerA());
  ASSERT_TRUE(cache_.Insert(KeyOf(answer), answer).has_value());
  const CacheKey mixed = MakeCacheKey(N("wWw.ExAmPlE.cOm"), dns::type::kA, dns::dns_class::kIn,
                                      false);
  std::optional<std::string> hit = cache_.Lookup(mixed);
  ASSERT_TRUE(hit.has_value());
  const dns::Message served = Parse(*hit);
  EXPECT_EQ(served.questions[0].name.wire(), mixed.name.wire());
  EXPECT_EQ(dns::RdataAddress(served.answers[0])->ToString(), "192.0.2.1");
}

TEST_F(DnsCacheTest, NegativeTtlIsSoaMinimumOrTtl) {
  // NXDOMAIN: SOA TTL 3600, MINIMUM 300, so 300 s.
  const dns::Message nxdomain = Parse(dns::samples::AnswerNxdomain());
  ASSERT_EQ(cache_.Insert(KeyOf(nxdomain), nxdomain), CacheKind::kNegative);
  // NODATA: SOA TTL 60, MINIMUM 600, so 60 s.
  const dns::Message nodata = Parse(dns::samples::AnswerNodata());
  ASSERT_EQ(cache_.Insert(KeyOf(nodata), nodata), CacheKind::kNegative);

  clock_.Advance(absl::Seconds(59));
  std::optional<std::string> hit = cache_.Lookup(KeyOf(nxdomain));
  ASSERT_TRUE(hit.has_value());
  const dns::Message served = Parse(*hit);
  EXPECT_EQ(served.rcode, dns::rcode::kNxDomain);
  EXPECT_THAT(Ttls(served.authorities), ElementsAre(300 - 59));
  ASSERT_TRUE(cache_.Lookup(KeyOf(nodata)).has_value());

  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache_.Lookup(KeyOf(nodata)).has_value());
  EXPECT_TRUE(cache_.Lookup(KeyOf(nxdomain)).has_value());
  clock_.Advance(absl::Seconds(240));
  EXPECT_FALSE(cache_.Lookup(KeyOf(nxdomain)).has_value());
}

TEST_F(DnsCacheTest, UncacheableAnswers) {
  dns::Message servfail = Parse(dns::samples::AnswerEdnsOptions());
  EXPECT_FALSE(cache_.Insert(KeyOf(servfail), servfail).has_value());
  dns::Message no_soa = Parse(dns::samples::AnswerNxdomain());
  no_soa.authorities.clear();
  EXPECT_FALSE(cache_.Insert(KeyOf(no_soa), no_soa).has_value());
  dns::Message truncated = Parse(dns::samples::AnswerA());
  truncated.set_flag(dns::flag::kTc, true);
  EXPECT_FALSE(cache_.Insert(KeyOf(truncated), truncated).has_value());
  dns::Message zero_ttl = Parse(dns::samples::AnswerA());
  zero_ttl.answers[0].ttl = 0;
  EXPECT_FALSE(cache_.Insert(KeyOf(zero_ttl), zero_ttl).has_value());
  // An answer to another question is not stored under this key.
  const dns::Message other = Parse(dns::samples::AnswerA());
  EXPECT_FALSE(cache_.Insert(MakeCacheKey(N("x.example"), 1, 1, false), other).has_value());
  EXPECT_EQ(cache_.stats().not_cacheable, 5u);
  EXPECT_EQ(cache_.stats().entries, 0u);
}

TEST_F(DnsCacheTest, DoBitIsPartOfTheKey) {
  const dns::Message answer = Parse(dns::samples::AnswerA());
  ASSERT_TRUE(cache_.Insert(KeyOf(answer, /*dnssec_ok=*/true), answer).has_value());
  EXPECT_FALSE(cache_.Lookup(KeyOf(answer, /*dnssec_ok=*/false)).has_value());
  EXPECT_TRUE(cache_.Lookup(KeyOf(answer, /*dnssec_ok=*/true)).has_value());
}

TEST_F(DnsCacheTest, TypeAndClassArePartOfTheKey) {
  const dns::Message answer = Parse(dns::samples::AnswerA());
  ASSERT_TRUE(cache_.Insert(KeyOf(answer), answer).has_value());
  EXPECT_FALSE(
      cache_.Lookup(MakeCacheKey(N("www.example.com"), dns::type::kAaaa, 1, false)).has_value());
  EXPECT_FALSE(cache_.Lookup(MakeCacheKey(N("www.example.com"), dns::type::kA, 3, false))
                   .has_value());
}

TEST_F(DnsCacheTest, MaxTtlCapsLifetime) {
  DnsCache cache(CacheOptions{.max_ttl = absl::Seconds(100)}, &clock_);
  dns::Message answer = Parse(dns::samples::AnswerA());
  answer.answers[0].ttl = 86400;
  ASSERT_TRUE(cache.Insert(KeyOf(answer), answer).has_value());
  const dns::Message served = Parse(*cache.Lookup(KeyOf(answer)));
  EXPECT_EQ(served.answers[0].ttl, 100u);
  clock_.Advance(absl::Seconds(100));
  EXPECT_FALSE(cache.Lookup(KeyOf(answer)).has_value());
}

dns::Message AnswerFor(int i) {
  dns::Message answer = Parse(dns::samples::AnswerA());
  answer.questions[0].name = N("host" + std::to_string(i) + ".example.com");
  answer.answers[0].name = answer.questions[0].name;
  return answer;
}

TEST(DnsCacheBoundsTest, EntryBoundEvictsLeastRecentlyUsed) {
  FakeClock clock;
  DnsCache cache(CacheOptions{.max_entries = 4, .shards = 1}, &clock);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(cache.Insert(KeyOf(AnswerFor(i)), AnswerFor(i)));
  // Touch 0 so that 1 is the least recently used.
  ASSERT_TRUE(cache.Lookup(KeyOf(AnswerFor(0))).has_value());
  ASSERT_TRUE(cache.Insert(KeyOf(AnswerFor(4)), AnswerFor(4)));
  EXPECT_TRUE(cache.Lookup(KeyOf(AnswerFor(0))).has_value());
  EXPECT_FALSE(cache.Lookup(KeyOf(AnswerFor(1))).has_value());
  EXPECT_TRUE(cache.Lookup(KeyOf(AnswerFor(4))).has_value());
  EXPECT_EQ(cache.stats().entries, 4u);
  EXPECT_EQ(cache.stats().evictions, 1u);
}

TEST(DnsCacheBoundsTest, ByteBoundHolds) {
  FakeClock clock;
  const size_t max_bytes = 16 * 1024;
  DnsCache cache(CacheOptions{.max_entries = 100000, .max_bytes = max_bytes, .shards = 4},
                 &clock);
  for (int i = 0; i < 2000; ++i) {
    cache.Insert(KeyOf(AnswerFor(i)), AnswerFor(i));
    ASSERT_LE(cache.stats().bytes, max_bytes);
  }
  const CacheStats stats = cache.stats();
  EXPECT_GT(stats.entries, 10u);
  EXPECT_GT(stats.evictions, 1000u);
  // An answer larger than a shard's share is refused rather than stored.
  DnsCache tiny(CacheOptions{.max_bytes = 4096, .shards = 4}, &clock);
  const dns::Message many = Parse(dns::samples::AnswerManyAddresses());
  EXPECT_FALSE(tiny.Insert(KeyOf(many), many).has_value());
}

TEST(DnsCacheBoundsTest, ConcurrentThreads) {
  FakeClock clock;
  DnsCache cache(CacheOptions{.max_entries = 512}, &clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const dns::Message answer = AnswerFor((i * 7 + t) % 1000);
        if (i % 3 == 0) {
          cache.Insert(KeyOf(answer), answer);
        } else if (std::optional<std::string> hit = cache.Lookup(KeyOf(answer))) {
          EXPECT_TRUE(dns::ParseMessage(*hit).ok());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const CacheStats stats = cache.stats();
  EXPECT_LE(stats.entries, 512u);
  EXPECT_EQ(stats.hits + stats.misses, 4u * 2000 - 4u * 667);
}

TEST(CnameRuleTest, SameVerdictOnHitAndMiss) {
  PolicyConfig config;
  GroupConfig group;
  group.name = "lab";
  group.clients.push_back(*IpPrefix::Parse("198.18.0.0/24"));
  group.allow = {"*.shop.example"};
  config.groups.push_back(group);
  FakeClock clock;
  DnsCache cache(CacheOptions{}, &clock);
  const dns::Message fresh = Parse(dns::samples::AnswerCnameChain());

  for (CnameRule rule : {CnameRule::kQueryName, CnameRule::kEveryName}) {
    SCOPED_TRACE(static_cast<int>(rule));
    config.cname_rule = rule;
    std::shared_ptr<const policy::Policy> policy = *policy::Policy::Create(config);
    const policy::Group* lab = policy->SelectGroup(*IpAddress::Parse("198.18.0.7"), {});
    const dns::Name qname = N("www.shop.example");

    // Miss: the fresh upstream answer.
    const dns::AnswerChain miss_chain = dns::WalkAnswer(fresh, qname);
    const policy::Decision on_miss = policy->DecideChain(lab, miss_chain.names);
    cache.Insert(KeyOf(fresh), fresh);

    // Hit: the same answer served from the cache.
    clock.Advance(absl::Seconds(1));
    const dns::Message cached = Parse(*cache.Lookup(KeyOf(fresh)));
    const dns::AnswerChain hit_chain = dns::WalkAnswer(cached, qname);
    const policy::Decision on_hit = policy->DecideChain(lab, hit_chain.names);

    EXPECT_EQ(on_hit.verdict, on_miss.verdict);
    EXPECT_EQ(on_hit.decided_by, on_miss.decided_by);
    EXPECT_EQ(hit_chain.addresses.size(), miss_chain.addresses.size());
    const policy::Verdict expected =
        rule == CnameRule::kQueryName ? policy::Verdict::kAllow : policy::Verdict::kDeny;
    EXPECT_EQ(on_hit.verdict, expected);
  }
}

}  // namespace
}  // namespace ztgate::resolver::cache
