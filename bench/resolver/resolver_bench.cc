// Costs on the resolver's query path: parsing typical upstream answers, the
// answer walk, encoding, policy matching among 100,000 patterns, and a
// cache hit. Reported as time per item; docs/BENCHMARKS.md ("Resolver")
// records the figures.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "resolver/cache/dns_cache.h"
#include "resolver/dns/answer.h"
#include "resolver/dns/message.h"
#include "resolver/policy/policy.h"
#include "tests/resolver/dns_samples.h"

namespace ztgate::resolver {
namespace {

void ParseSample(benchmark::State& state, const std::string& wire) {
  for (auto _ : state) {
    absl::StatusOr<dns::Message> message = dns::ParseMessage(wire);
    benchmark::DoNotOptimize(message);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire.size()));
}

void BM_Parse_AnswerA(benchmark::State& state) {
  ParseSample(state, dns::samples::AnswerA());
}
BENCHMARK(BM_Parse_AnswerA);

void BM_Parse_CnameChain(benchmark::State& state) {
  ParseSample(state, dns::samples::AnswerCnameChain());
}
BENCHMARK(BM_Parse_CnameChain);

void BM_Parse_64A64Aaaa(benchmark::State& state) {
  ParseSample(state, dns::samples::AnswerManyAddresses());
}
BENCHMARK(BM_Parse_64A64Aaaa);

void BM_Parse_HttpsWithHints(benchmark::State& state) {
  ParseSample(state, dns::samples::AnswerHttpsWithHints());
}
BENCHMARK(BM_Parse_HttpsWithHints);

// Parse plus the address walk: what the server does with every answer.
void BM_ParseAndWalk_CnameChain(benchmark::State& state) {
  const std::string wire = dns::samples::AnswerCnameChain();
  const dns::Name qname = *dns::Name::FromText("www.shop.example");
  for (auto _ : state) {
    absl::StatusOr<dns::Message> message = dns::ParseMessage(wire);
    dns::AnswerChain chain = dns::WalkAnswer(*message, qname);
    benchmark::DoNotOptimize(chain);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAndWalk_CnameChain);

void BM_Encode_64A64Aaaa(benchmark::State& state) {
  const dns::Message message = *dns::ParseMessage(dns::samples::AnswerManyAddresses());
  for (auto _ : state) {
    absl::StatusOr<std::string> wire = dns::EncodeMessage(message);
    benchmark::DoNotOptimize(wire);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Encode_64A64Aaaa);

// One group with range(0) patterns: 90% exact names, 10% wildcards, over
// 1,000 zones. Queries alternate between allowed names (exact and below a
// wildcard) and denied names of 4 labels.
void BM_Policy_Match(benchmark::State& state) {
  const int patterns = static_cast<int>(state.range(0));
  PolicyConfig config;
  GroupConfig group;
  group.name = "bench";
  group.clients.push_back(*IpPrefix::Parse("198.18.0.0/15"));
  for (int i = 0; i < patterns; ++i) {
    const std::string zone = ".zone" + std::to_string(i % 1000) + ".example";
    group.allow.push_back(i % 10 == 0 ? "*.w" + std::to_string(i) + zone
                                      : "host" + std::to_string(i) + zone);
  }
  group.deny = {"*.blocked.example"};
  config.groups.push_back(group);
  const std::shared_ptr<const policy::Policy> policy = *policy::Policy::Create(config);

  std::vector<dns::Name> queries;
  for (int i = 0; i < 1024; ++i) {
    const int n = (i * 7919) % patterns;
    const std::string zone = ".zone" + std::to_string(n % 1000) + ".example";
    std::string name;
    switch (i % 4) {
      case 0: name = "host" + std::to_string(n) + zone; break;
      case 1: name = "a.w" + std::to_string(n - n % 10) + ".zone" +
                     std::to_string((n - n % 10) % 1000) + ".example"; break;
      case 2: name = "www.unknown" + std::to_string(n) + zone; break;
      default: name = "x.y.blocked.example"; break;
    }
    queries.push_back(*dns::Name::FromText(name));
  }
  const IpAddress client = *IpAddress::Parse("198.18.3.4");
  size_t i = 0;
  int allowed = 0;
  for (auto _ : state) {
    const policy::Group* selected = policy->SelectGroup(client, {});
    const policy::Decision decision = policy->DecideName(selected, queries[i++ & 1023]);
    allowed += decision.verdict == policy::Verdict::kAllow;
    benchmark::DoNotOptimize(decision);
  }
  state.counters["allowed_share"] =
      static_cast<double>(allowed) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Policy_Match)->Arg(1000)->Arg(100000);

void BM_Cache_Hit(benchmark::State& state) {
  cache::FakeClock clock;
  cache::DnsCache cache(cache::CacheOptions{}, &clock);
  const dns::Message answer = *dns::ParseMessage(dns::samples::AnswerCnameChain());
  const dns::Question& question = answer.questions[0];
  const cache::CacheKey key =
      cache::MakeCacheKey(question.name, question.type, question.dns_class, false);
  cache.Insert(key, answer);
  for (auto _ : state) {
    std::optional<std::string> hit = cache.Lookup(key);
    benchmark::DoNotOptimize(hit);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Cache_Hit);

}  // namespace
}  // namespace ztgate::resolver
