// Tests of the allow table, its writer side (FlowStore) and the exception
// list, on a real EAL started with --no-huge. They cover install, lookup hit
// and miss, expiry on both sides of the deadline with a fake clock, idle
// refresh, a full table, removal and name ids. One test churns the table
// from the writer while a worker lcore reads it.
#include "dataplane/allow_table.h"

#include <arpa/inet.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <atomic>
#include <cstring>
#include <memory>

#include <gtest/gtest.h>

#include "dataplane/exceptions.h"
#include "dataplane/flow_store.h"
#include "dataplane/forwarder.h"
#include "tests/dataplane/eal_environment.h"

namespace ztgate::dataplane {
namespace {

// The fake clock ticks once per nanosecond.
constexpr uint64_t kTicksPerSecond = 1'000'000'000;
constexpr uint64_t kIdleTicks = 10 * kTicksPerSecond;

Address16 V4(const char* text) {
  Address16 address{};
  address.bytes[10] = 0xff;
  address.bytes[11] = 0xff;
  inet_pton(AF_INET, text, address.bytes + 12);
  return address;
}

Address16 V6(const char* text) {
  Address16 address{};
  inet_pton(AF_INET6, text, address.bytes);
  return address;
}

std::string Raw4(const char* text) {
  std::string bytes(4, '\0');
  inet_pton(AF_INET, text, bytes.data());
  return bytes;
}

ztgate::v1::Flow* AddFlow(ztgate::v1::InstallFlowsRequest& request, const char* client,
                          const char* destination, int64_t lifetime_seconds,
                          uint32_t name_index = 0) {
  ztgate::v1::Flow* flow = request.add_flows();
  flow->set_client(Raw4(client));
  flow->set_destination(Raw4(destination));
  flow->mutable_lifetime()->set_seconds(lifetime_seconds);
  flow->set_name_index(name_index);
  return flow;
}

class AllowTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<QsbrPtr> qsbr = CreateQsbr(RTE_MAX_LCORE);
    ASSERT_TRUE(qsbr.ok()) << qsbr.status();
    qsbr_ = std::move(*qsbr);
    table_ = MakeTable(1024);
    store_ = std::make_unique<FlowStore>(*table_, [this] { return now_; }, kTicksPerSecond);
  }

  std::unique_ptr<AllowTable> MakeTable(uint32_t capacity) {
    AllowTable::Options options;
    options.name = "test_flows_" + std::to_string(next_table_++);
    options.capacity = capacity;
    options.idle_ticks = kIdleTicks;
    absl::StatusOr<std::unique_ptr<AllowTable>> table = AllowTable::Create(options, qsbr_.get());
    EXPECT_TRUE(table.ok()) << table.status();
    return table.ok() ? std::move(*table) : nullptr;
  }

  bool Allowed(const FlowKey& key) {
    const FlowEntry* entry = table_->Lookup(key);
    return entry != nullptr && entry->IsAlive(now_, kIdleTicks);
  }

  static inline int next_table_ = 0;
  uint64_t now_ = 1000 * kTicksPerSecond;
  QsbrPtr qsbr_;
  std::unique_ptr<AllowTable> table_;
  std::unique_ptr<FlowStore> store_;
};

TEST_F(AllowTableTest, InstallThenLookupHitsAndOtherPairsMiss) {
  ztgate::v1::InstallFlowsRequest request;
  request.set_batch_id(7);
  AddFlow(request, "198.18.0.1", "203.0.113.7", 60);
  const ztgate::v1::InstallFlowsResponse response = store_->Install(request);
  EXPECT_EQ(response.batch_id(), 7u);
  EXPECT_EQ(response.installed(), 1u);
  EXPECT_EQ(response.code(), 0);

  EXPECT_TRUE(Allowed({V4("198.18.0.1"), V4("203.0.113.7")}));
  EXPECT_FALSE(Allowed({V4("198.18.0.2"), V4("203.0.113.7")})) << "another client";
  EXPECT_FALSE(Allowed({V4("198.18.0.1"), V4("203.0.113.8")})) << "another destination";
  EXPECT_FALSE(Allowed({V4("203.0.113.7"), V4("198.18.0.1")})) << "the pair reversed";
  EXPECT_EQ(table_->size(), 1u);
}

TEST_F(AllowTableTest, LookupBulkMarksHitsAndMisses) {
  ztgate::v1::InstallFlowsRequest request;
  AddFlow(request, "198.18.0.1", "203.0.113.1", 60);
  AddFlow(request, "198.18.0.1", "203.0.113.3", 60);
  store_->Install(request);
  FlowKey keys[4] = {{V4("198.18.0.1"), V4("203.0.113.1")},
                     {V4("198.18.0.1"), V4("203.0.113.2")},
                     {V4("198.18.0.1"), V4("203.0.113.3")},
                     {V6("2001:db8::1"), V6("2001:db8::3")}};
  const FlowKey* pointers[4] = {&keys[0], &keys[1], &keys[2], &keys[3]};
  FlowEntry* entries[4];
  table_->LookupBulk(pointers, 4, entries);
  EXPECT_NE(entries[0], nullptr);
  EXPECT_EQ(entries[1], nullptr);
  EXPECT_NE(entries[2], nullptr);
  EXPECT_EQ(entries[3], nullptr);
}

TEST_F(AllowTableTest, EntryExpiresAtDeadline) {
  ztgate::v1::InstallFlowsRequest request;
  AddFlow(request, "198.18.0.1", "203.0.113.7", 30);
  store_->Install(request);
  const FlowKey key{V4("198.18.0.1"), V4("203.0.113.7")};
  now_ += 30 * kTicksPerSecond - 1;
  EXPECT_TRUE(Allowed(key)) << "one tick before the deadline";
  now_ += 1;
  EXPECT_FALSE(Allowed(key)) << "at the deadline";
}

TEST_F(AllowTableTest, MatchingPacketsKeepEntryAliveUntilIdle) {
  ztgate::v1::InstallFlowsRequest request;
  AddFlow(request, "198.18.0.1", "203.0.113.7", 5);
  store_->Install(request);
  const FlowKey key{V4("198.18.0.1"), V4("203.0.113.7")};
  FlowEntry* entry = table_->Lookup(key);
  ASSERT_NE(entry, nullptr);

  // Packets at 4 s and 12 s keep it alive past the 5 s deadline.
  now_ += 4 * kTicksPerSecond;
  entry->Touch(now_, 100);
  now_ += 8 * kTicksPerSecond;
  ASSERT_TRUE(Allowed(key)) << "2 s before the idle timeout after the packet at 4 s";
  entry->Touch(now_, 100);
  now_ += kIdleTicks - 1;
  EXPECT_TRUE(Allowed(key)) << "one tick before the idle timeout";
  now_ += 1;
  EXPECT_FALSE(Allowed(key)) << "at the idle timeout";
  EXPECT_EQ(entry->packets.load(), 2u);
  EXPECT_EQ(entry->bytes.load(), 200u);
}

TEST_F(AllowTableTest, ReinstallExtendsButNeverShortens) {
  ztgate::v1::InstallFlowsRequest long_lived;
  AddFlow(long_lived, "198.18.0.1", "203.0.113.7", 100);
  store_->Install(long_lived);
  ztgate::v1::InstallFlowsRequest short_lived;
  AddFlow(short_lived, "198.18.0.1", "203.0.113.7", 10);
  const ztgate::v1::InstallFlowsResponse response = store_->Install(short_lived);
  EXPECT_EQ(response.refreshed(), 1u);
  EXPECT_EQ(response.installed(), 0u);
  now_ += 50 * kTicksPerSecond;
  EXPECT_TRUE(Allowed({V4("198.18.0.1"), V4("203.0.113.7")}));

  ztgate::v1::InstallFlowsRequest longer;
  AddFlow(longer, "198.18.0.1", "203.0.113.7", 100);
  store_->Install(longer);
  now_ += 90 * kTicksPerSecond;
  EXPECT_TRUE(Allowed({V4("198.18.0.1"), V4("203.0.113.7")})) << "extended to 150 s";
}

TEST_F(AllowTableTest, FullTableRejectsWithResourceExhausted) {
  table_ = MakeTable(1024);
  store_ = std::make_unique<FlowStore>(*table_, [this] { return now_; }, kTicksPerSecond);
  ztgate::v1::InstallFlowsRequest request;
  for (int i = 0; i < 1025; ++i) {
    const std::string destination = "203.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    AddFlow(request, "198.18.0.1", destination.c_str(), 60);
  }
  const ztgate::v1::InstallFlowsResponse response = store_->Install(request);
  EXPECT_EQ(response.installed(), 1024u);
  ASSERT_EQ(response.errors_size(), 1);
  EXPECT_EQ(response.errors(0).flow_index(), 1024u);
  EXPECT_EQ(response.errors(0).code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(response.code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(store_->install_rejected_full(), 1u);
  EXPECT_TRUE(Allowed({V4("198.18.0.1"), V4("203.0.0.0")})) << "no live entry was evicted";

  // Refreshing an existing key still works when full.
  ztgate::v1::InstallFlowsRequest refresh;
  AddFlow(refresh, "198.18.0.1", "203.0.0.5", 60);
  EXPECT_EQ(store_->Install(refresh).refreshed(), 1u);

  // After the sweep frees dead entries there is room again.
  now_ += 61 * kTicksPerSecond;
  uint32_t cursor = 0;
  size_t swept = 0;
  do {
    swept += store_->SweepStep(&cursor, 100);
  } while (cursor != 0);
  EXPECT_EQ(swept, 1024u);
  EXPECT_EQ(table_->size(), 0u);
  ztgate::v1::InstallFlowsRequest again;
  AddFlow(again, "198.18.0.1", "203.0.113.7", 60);
  EXPECT_EQ(store_->Install(again).installed(), 1u);
}

TEST_F(AllowTableTest, InvalidFlowsGetErrorsAndOthersInstall) {
  ztgate::v1::InstallFlowsRequest request;
  request.add_names("www.example.test");
  AddFlow(request, "198.18.0.1", "203.0.113.7", 60);
  ztgate::v1::Flow* bad_length = AddFlow(request, "198.18.0.1", "203.0.113.8", 60);
  bad_length->set_destination("abc");
  ztgate::v1::Flow* mixed = AddFlow(request, "198.18.0.1", "203.0.113.9", 60);
  std::string v6(16, '\0');
  v6[0] = 0x20;
  mixed->set_destination(v6);
  AddFlow(request, "198.18.0.1", "203.0.113.10", 0);
  AddFlow(request, "198.18.0.1", "203.0.113.11", 60, 5);
  ztgate::v1::Flow* mapped = AddFlow(request, "198.18.0.1", "203.0.113.12", 60);
  std::string mapped_bytes(16, '\0');
  mapped_bytes[10] = '\xff';
  mapped_bytes[11] = '\xff';
  mapped->set_client(mapped_bytes);

  const ztgate::v1::InstallFlowsResponse response = store_->Install(request);
  EXPECT_EQ(response.installed(), 1u);
  ASSERT_EQ(response.errors_size(), 5);
  for (const auto& error : response.errors()) {
    EXPECT_EQ(error.code(), static_cast<int>(absl::StatusCode::kInvalidArgument)) << error.message();
  }
  EXPECT_EQ(response.code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
}

TEST_F(AllowTableTest, RemoveByKeyAndByClientPrefix) {
  ztgate::v1::InstallFlowsRequest request;
  AddFlow(request, "198.18.0.1", "203.0.113.1", 60);
  AddFlow(request, "198.18.0.1", "203.0.113.2", 60);
  AddFlow(request, "198.18.1.1", "203.0.113.1", 60);
  AddFlow(request, "198.19.0.1", "203.0.113.1", 60);
  store_->Install(request);

  ztgate::v1::RemoveFlowsRequest by_key;
  ztgate::v1::FlowKey* key = by_key.add_flows();
  key->set_client(Raw4("198.18.0.1"));
  key->set_destination(Raw4("203.0.113.1"));
  ztgate::v1::FlowKey* absent = by_key.add_flows();
  absent->set_client(Raw4("198.18.0.9"));
  absent->set_destination(Raw4("203.0.113.1"));
  absl::StatusOr<uint32_t> removed = store_->Remove(by_key);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1u);
  EXPECT_FALSE(Allowed({V4("198.18.0.1"), V4("203.0.113.1")}));

  ztgate::v1::RemoveFlowsRequest by_prefix;
  ztgate::v1::Prefix* prefix = by_prefix.add_clients();
  prefix->set_address(Raw4("198.18.0.0"));
  prefix->set_prefix_length(16);
  removed = store_->Remove(by_prefix);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2u);
  EXPECT_TRUE(Allowed({V4("198.19.0.1"), V4("203.0.113.1")}));
  EXPECT_EQ(table_->size(), 1u);
}

// A nearly full table uses extendable buckets, where a removal moves keys;
// removal by prefix must still find every match.
TEST_F(AllowTableTest, RemoveByPrefixInFullTable) {
  ztgate::v1::InstallFlowsRequest request;
  for (int i = 0; i < 1024; ++i) {
    const std::string client = (i % 2 ? "198.18.0." : "198.19.0.") + std::to_string(i % 200);
    const std::string destination = "203.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    AddFlow(request, client.c_str(), destination.c_str(), 60);
  }
  ASSERT_EQ(store_->Install(request).installed(), 1024u);
  ztgate::v1::RemoveFlowsRequest remove;
  ztgate::v1::Prefix* prefix = remove.add_clients();
  prefix->set_address(Raw4("198.18.0.0"));
  prefix->set_prefix_length(16);
  absl::StatusOr<uint32_t> removed = store_->Remove(remove);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 512u);
  EXPECT_EQ(table_->size(), 512u);
  uint32_t cursor = 0;
  table_->Visit(&cursor, 2048, [](const FlowKey& key, const FlowEntry&) {
    EXPECT_EQ(key.client.bytes[13], 19) << "only 198.19.0.0/16 clients remain";
  });
}

TEST_F(AllowTableTest, ListFlowsCarriesNamesAndFilters) {
  ztgate::v1::InstallFlowsRequest request;
  request.add_names("www.example.test");
  request.add_names("cdn.example.test");
  AddFlow(request, "198.18.0.1", "203.0.113.1", 60, 0);
  AddFlow(request, "198.18.0.1", "203.0.113.2", 60, 1);
  AddFlow(request, "198.18.0.2", "203.0.113.3", 60, 1);
  store_->Install(request);
  EXPECT_EQ(store_->names().size(), 2u);

  const auto prefix = IpPrefix::Parse("198.18.0.1/32");
  ASSERT_TRUE(prefix.ok());
  ztgate::v1::ListFlowsResponse page;
  uint32_t cursor = 0;
  while (!store_->ListPage({*prefix}, &cursor, 100, page)) {
  }
  ASSERT_EQ(page.flows_size(), 2);
  std::set<std::string> names;
  for (const auto& flow : page.flows()) {
    EXPECT_EQ(flow.client(), Raw4("198.18.0.1"));
    names.insert(flow.name());
  }
  EXPECT_EQ(names, (std::set<std::string>{"www.example.test", "cdn.example.test"}));

  // Names are released with their last flow.
  ztgate::v1::RemoveFlowsRequest remove;
  ztgate::v1::Prefix* all = remove.add_clients();
  all->set_address(Raw4("0.0.0.0"));
  all->set_prefix_length(0);
  ASSERT_TRUE(store_->Remove(remove).ok());
  EXPECT_EQ(store_->names().size(), 0u);
}

TEST_F(AllowTableTest, ListFlowsWalksEveryPage) {
  ztgate::v1::InstallFlowsRequest request;
  for (int i = 0; i < 300; ++i) {
    const std::string destination = "203.0.113." + std::to_string(i % 250) ;
    const std::string client = "198.18." + std::to_string(i / 250) + ".1";
    AddFlow(request, client.c_str(), destination.c_str(), 60);
  }
  ASSERT_EQ(store_->Install(request).installed(), 300u);
  uint32_t cursor = 0;
  int total = 0;
  int pages = 0;
  for (bool done = false; !done; ++pages) {
    ztgate::v1::ListFlowsResponse page;
    done = store_->ListPage({}, &cursor, 64, page);
    EXPECT_LE(page.flows_size(), 64);
    total += page.flows_size();
  }
  EXPECT_EQ(total, 300);
  EXPECT_GE(pages, 5);
}

TEST_F(AllowTableTest, ExceptionsMatchBothFamiliesAndReplaceWhole) {
  Exceptions exceptions(qsbr_.get(), 0);
  std::vector<IpPrefix> prefixes = {*IpPrefix::Parse("192.0.2.0/24"),
                                    *IpPrefix::Parse("2001:db8:53::/48")};
  ASSERT_TRUE(exceptions.Replace(prefixes).ok());
  const ExceptionSet* set = exceptions.Current();
  ASSERT_NE(set, nullptr);
  EXPECT_TRUE(set->Contains(V4("192.0.2.53"), true));
  EXPECT_FALSE(set->Contains(V4("192.0.3.53"), true));
  EXPECT_TRUE(set->Contains(V6("2001:db8:53::1"), false));
  EXPECT_FALSE(set->Contains(V6("2001:db8:54::1"), false));

  ASSERT_TRUE(exceptions.Replace({*IpPrefix::Parse("0.0.0.0/0")}).ok());
  set = exceptions.Current();
  EXPECT_TRUE(set->Contains(V4("203.0.113.1"), true));
  EXPECT_TRUE(set->Contains(V4("192.0.2.53"), true));
  EXPECT_FALSE(set->Contains(V6("2001:db8:53::1"), false)) << "the old IPv6 prefix is gone";
  EXPECT_EQ(set->size(), 1u);
}

// One writer installs and removes flows as fast as it can while a worker
// lcore looks up a fixed set of permanent flows and a churning set. The
// permanent flows must never miss, and nothing may crash or read a freed
// entry (the sanitizer build checks that).
TEST_F(AllowTableTest, ChurnWhileWorkerReads) {
  const unsigned worker = rte_get_next_lcore(-1, 1, 0);
  ASSERT_LT(worker, RTE_MAX_LCORE) << "the EAL needs a worker lcore";
  ztgate::v1::InstallFlowsRequest permanent;
  for (int i = 0; i < 32; ++i) {
    AddFlow(permanent, "198.18.0.1", ("192.0.2." + std::to_string(i)).c_str(), 1'000'000);
  }
  ASSERT_EQ(store_->Install(permanent).installed(), 32u);

  struct ReaderState {
    AllowTable* table;
    rte_rcu_qsbr* qsbr;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> permanent_misses{0};
    std::atomic<uint64_t> lookups{0};
  } state{table_.get(), qsbr_.get()};
  rte_rcu_qsbr_thread_register(qsbr_.get(), worker);
  ASSERT_EQ(rte_eal_remote_launch(
                [](void* arg) {
                  auto* s = static_cast<ReaderState*>(arg);
                  const unsigned id = rte_lcore_id();
                  rte_rcu_qsbr_thread_online(s->qsbr, id);
                  FlowKey keys[64];
                  const FlowKey* pointers[64];
                  for (int i = 0; i < 64; ++i) {
                    keys[i].client = V4("198.18.0.1");
                    const std::string text = (i < 32 ? "192.0.2." : "203.0.113.") +
                                             std::to_string(i % 32);
                    keys[i].remote = V4(text.c_str());
                    pointers[i] = &keys[i];
                  }
                  FlowEntry* entries[64];
                  while (!s->stop.load(std::memory_order_relaxed)) {
                    s->table->LookupBulk(pointers, 64, entries);
                    for (int i = 0; i < 32; ++i) {
                      if (entries[i] == nullptr) s->permanent_misses.fetch_add(1);
                    }
                    for (int i = 32; i < 64; ++i) {
                      if (entries[i] != nullptr) entries[i]->Touch(1, 64);
                    }
                    s->lookups.fetch_add(64, std::memory_order_relaxed);
                    rte_rcu_qsbr_quiescent(s->qsbr, id);
                  }
                  rte_rcu_qsbr_thread_offline(s->qsbr, id);
                  return 0;
                },
                &state, worker),
            0);

  for (int round = 0; round < 2000; ++round) {
    ztgate::v1::InstallFlowsRequest churn;
    for (int i = 0; i < 32; ++i) {
      AddFlow(churn, "198.18.0.1", ("203.0.113." + std::to_string(i)).c_str(), 60);
    }
    ASSERT_EQ(store_->Install(churn).installed(), 32u);
    ztgate::v1::RemoveFlowsRequest remove;
    for (int i = 0; i < 32; ++i) {
      ztgate::v1::FlowKey* key = remove.add_flows();
      key->set_client(Raw4("198.18.0.1"));
      key->set_destination(Raw4(("203.0.113." + std::to_string(i)).c_str()));
    }
    ASSERT_EQ(*store_->Remove(remove), 32u);
  }
  state.stop.store(true);
  rte_eal_wait_lcore(worker);
  rte_rcu_qsbr_thread_unregister(qsbr_.get(), worker);

  EXPECT_EQ(state.permanent_misses.load(), 0u);
  EXPECT_GT(state.lookups.load(), 0u);
  EXPECT_EQ(table_->size(), 32u);
}

}  // namespace
}  // namespace ztgate::dataplane

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new ztgate::testing::EalEnvironment());
  return RUN_ALL_TESTS();
}
