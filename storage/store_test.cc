// Store tests against real RocksDB in a fresh temporary directory: catalog and its persistence,
// local writes, reads and tombstones, conditional aborts, the change log (continuity under
// concurrent writers, listener, trim), clock restore, settings, and bad input changing nothing.
#include "storage/store.h"

#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "storage/store_impl.h"
#include "storage/store_test_fixture.h"
#include "storage/store_testing.h"

namespace globaltable::storage {
namespace {

using testing::B;
using testing::MakeItem;
using testing::MakeSchema;
using testing::N;
using testing::S;
using testing::StoreTest;
using testing::TempDir;
using testing::kBase;

TEST_F(StoreTest, OpenRejectsBadOptions) {
  StoreOptions o = Options();
  o.dir = dir_.Sub("other");
  o.num_partitions = 4097;
  EXPECT_EQ(Store::Open(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
  o.num_partitions = 4;
  o.region_id = 0;
  EXPECT_EQ(Store::Open(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
  o.region_id = 1;
  EXPECT_EQ(Store::Open(o, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  o.dir = "";
  EXPECT_EQ(Store::Open(o, &clock_).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("other")));
}

TEST_F(StoreTest, ReopenWithAnotherIdentityIsRefused) {
  store_.reset();
  StoreOptions o = Options();
  o.region_id = 2;
  EXPECT_EQ(Store::Open(o, &clock_).status().code(), absl::StatusCode::kFailedPrecondition);
  o = Options();
  o.num_partitions = 8;
  EXPECT_EQ(Store::Open(o, &clock_).status().code(), absl::StatusCode::kFailedPrecondition);
  Open();  // the right identity still opens
}

TEST_F(StoreTest, PartitionsLeftOpenAreTheStoresOwnOrTheDefault) {
  store_.reset();
  StoreOptions o = Options();
  o.num_partitions = 0;  // this store was created with 4
  {
    absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(o, &clock_);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    EXPECT_EQ((*reopened)->num_partitions(), 4u);
  }
  o.dir = dir_.Sub("new");
  {
    absl::StatusOr<std::unique_ptr<Store>> fresh = Store::Open(o, &clock_);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_EQ((*fresh)->num_partitions(), kDefaultPartitions);
  }
  o.num_partitions = kDefaultPartitions + 1;  // the new store's number is now fixed
  EXPECT_EQ(Store::Open(o, &clock_).status().code(), absl::StatusCode::kFailedPrecondition);
  o.num_partitions = 0;
  absl::StatusOr<std::unique_ptr<Store>> again = Store::Open(o, &clock_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->num_partitions(), kDefaultPartitions);
}

TEST_F(StoreTest, CreateDescribeListDelete) {
  absl::StatusOr<proto::TableSchema> created =
      store_->CreateTable(MakeSchema("orders", proto::S, proto::N));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_GT(created->created_hlc(), 0u);
  EXPECT_EQ(created->created_region(), 1u);
  ASSERT_TRUE(store_->CreateTable(MakeSchema("users", proto::B)).ok());
  EXPECT_EQ(store_->ListTables(), (std::vector<std::string>{"orders", "users"}));

  absl::StatusOr<proto::TableSchema> described = store_->DescribeTable("orders");
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->SerializeAsString(), created->SerializeAsString());
  EXPECT_EQ(store_->CreateTable(MakeSchema("orders", proto::S)).status().code(),
            absl::StatusCode::kAlreadyExists);

  ASSERT_TRUE(store_->DeleteTable("users").ok());
  EXPECT_EQ(store_->ListTables(), (std::vector<std::string>{"orders"}));
  EXPECT_EQ(store_->DescribeTable("users").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteTable("users").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTableStats("users").status().code(), absl::StatusCode::kNotFound);

  // A deleted name can be created again, as a new incarnation.
  absl::StatusOr<proto::TableSchema> again = store_->CreateTable(MakeSchema("users", proto::S));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->partition_key().type(), proto::S);
}

TEST_F(StoreTest, GetSchemaSharesTheLiveSchema) {
  absl::StatusOr<proto::TableSchema> created =
      store_->CreateTable(MakeSchema("orders", proto::S, proto::N));
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<std::shared_ptr<const proto::TableSchema>> shared = store_->GetSchema("orders");
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ((*shared)->SerializeAsString(), created->SerializeAsString());
  // The same object while the table does not change: shared, not copied.
  EXPECT_EQ(store_->GetSchema("orders")->get(), shared->get());

  // A table change publishes a new schema; a reader still holding the old one keeps it intact.
  proto::TableSchema update = *created;
  update.set_primary_region("eu");
  ASSERT_TRUE(store_->UpdateTable(update).ok());
  absl::StatusOr<std::shared_ptr<const proto::TableSchema>> updated = store_->GetSchema("orders");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)->primary_region(), "eu");
  EXPECT_EQ((*shared)->primary_region(), "");
  EXPECT_EQ((*updated)->SerializeAsString(), store_->DescribeTable("orders")->SerializeAsString());

  ASSERT_TRUE(store_->DeleteTable("orders").ok());
  EXPECT_EQ(store_->GetSchema("orders").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSchema("never").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, BadSchemasChangeNothing) {
  const std::vector<uint64_t> before = LastSequences();
  std::vector<proto::TableSchema> bad;
  bad.push_back(MakeSchema("", proto::S));
  bad.push_back(MakeSchema("bad name!", proto::S));
  bad.push_back(MakeSchema(std::string(256, 'a'), proto::S));
  bad.push_back(MakeSchema("t", proto::SCALAR_TYPE_UNSPECIFIED));
  proto::TableSchema same_names = MakeSchema("t", proto::S, proto::S);
  same_names.mutable_sort_key()->set_name("pk");
  bad.push_back(same_names);
  proto::TableSchema no_pk_name = MakeSchema("t", proto::S);
  no_pk_name.mutable_partition_key()->clear_name();
  bad.push_back(no_pk_name);
  for (const proto::TableSchema& schema : bad) {
    EXPECT_EQ(store_->CreateTable(schema).status().code(), absl::StatusCode::kInvalidArgument)
        << schema.ShortDebugString();
  }
  EXPECT_TRUE(store_->ListTables().empty());
  EXPECT_EQ(LastSequences(), before);
}

TEST_F(StoreTest, TableChangesAreRecordedInEveryPartition) {
  absl::StatusOr<proto::TableSchema> t = store_->CreateTable(MakeSchema("t", proto::S));
  ASSERT_TRUE(t.ok());
  proto::TableSchema update = *t;
  update.set_billing_mode("PROVISIONED");
  update.set_read_capacity_units(5);
  update.set_created_hlc(1);  // immutable: ignored
  absl::StatusOr<proto::TableSchema> updated = store_->UpdateTable(update);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->billing_mode(), "PROVISIONED");
  EXPECT_EQ(updated->created_hlc(), t->created_hlc());
  ASSERT_TRUE(store_->DeleteTable("t").ok());
  for (uint32_t p = 0; p < 4; ++p) {
    std::vector<proto::Mutation> log = Log(p);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0].kind(), proto::Mutation::CREATE_TABLE);
    EXPECT_EQ(log[1].kind(), proto::Mutation::UPDATE_TABLE);
    EXPECT_EQ(log[2].kind(), proto::Mutation::DELETE_TABLE);
    for (size_t i = 0; i < log.size(); ++i) {
      EXPECT_EQ(log[i].sequence(), i + 1);
      EXPECT_EQ(log[i].table(), "t");
      EXPECT_EQ(log[i].table_created_hlc(), t->created_hlc());
      EXPECT_EQ(log[i].origin_region(), 1u);
    }
    EXPECT_EQ(log[0].hlc(), t->created_hlc());
    EXPECT_EQ(log[0].schema().SerializeAsString(), t->SerializeAsString());
    EXPECT_EQ(log[1].schema().read_capacity_units(), 5);
    EXPECT_LT(log[0].hlc(), log[1].hlc());
    EXPECT_LT(log[1].hlc(), log[2].hlc());
  }
  EXPECT_EQ(store_->UpdateTable(update).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, CatalogSurvivesReopen) {
  absl::StatusOr<proto::TableSchema> a = store_->CreateTable(MakeSchema("a", proto::S, proto::N));
  absl::StatusOr<proto::TableSchema> b = store_->CreateTable(MakeSchema("b", proto::N));
  ASSERT_TRUE(store_->CreateTable(MakeSchema("c", proto::B)).ok());
  ASSERT_TRUE(a.ok() && b.ok());
  proto::TableSchema update = *b;
  update.set_primary_region("eu");
  ASSERT_TRUE(store_->UpdateTable(update).ok());
  ASSERT_TRUE(store_->DeleteTable("c").ok());
  ASSERT_TRUE(Put("a", MakeItem({{"pk", S("x")}, {"sk", N("1")}}),
                  MakeItem({{"pk", S("x")}, {"sk", N("1")}}))
                  .ok());
  const std::vector<uint64_t> sequences = LastSequences();

  Open();
  EXPECT_EQ(store_->ListTables(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(store_->DescribeTable("a")->SerializeAsString(), a->SerializeAsString());
  EXPECT_EQ(store_->DescribeTable("b")->primary_region(), "eu");
  EXPECT_EQ(store_->DescribeTable("c").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LastSequences(), sequences);
  absl::StatusOr<TableStats> stats = store_->GetTableStats("a");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->live_items, 1u);
  EXPECT_GT(stats->live_bytes, 0u);
  absl::StatusOr<std::optional<proto::Item>> got =
      store_->GetItem("a", MakeItem({{"pk", S("x")}, {"sk", N("1")}}));
  ASSERT_TRUE(got.ok() && got->has_value());

  // Table ids are not reused: a table created after reopen does not see old items.
  ASSERT_TRUE(store_->CreateTable(MakeSchema("c", proto::S, proto::N)).ok());
  absl::StatusOr<TableStats> c_stats = store_->GetTableStats("c");
  ASSERT_TRUE(c_stats.ok());
  EXPECT_EQ(c_stats->live_items, 0u);
}

TEST_F(StoreTest, PutGetDeleteAndTombstones) {
  CreateOrders();
  absl::StatusOr<WriteResult> w = PutOrder("a", "1", "one");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_FALSE(w->old_item.has_value());
  ASSERT_TRUE(w->new_item.has_value());
  EXPECT_EQ(w->version.region, 1u);
  EXPECT_GT(w->version.hlc, 0u);
  EXPECT_EQ(w->sequence, 2u);  // after the CREATE_TABLE record
  EXPECT_EQ(w->partition, PartitionOf("orders", S("a"), 4));

  absl::StatusOr<std::optional<proto::Item>> got = store_->GetItem("orders", Key("a", "1"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->SerializeAsString(), w->new_item->SerializeAsString());
  // Numbers in keys are compared after normalization.
  got = store_->GetItem("orders", Key("a", "1.00"));
  ASSERT_TRUE(got.ok() && got->has_value());

  absl::StatusOr<WriteResult> w2 = PutOrder("a", "1", "uno");
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE(w2->old_item.has_value());
  EXPECT_EQ(w2->old_item->SerializeAsString(), w->new_item->SerializeAsString());
  EXPECT_GT(w2->version, w->version);

  absl::StatusOr<WriteResult> d = Delete("orders", Key("a", "1"));
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->old_item.has_value());
  EXPECT_FALSE(d->new_item.has_value());
  got = store_->GetItem("orders", Key("a", "1"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  absl::StatusOr<TableStats> stats = store_->GetTableStats("orders");
  EXPECT_EQ(stats->live_items, 0u);
  EXPECT_EQ(stats->tombstones, 1u);
  EXPECT_EQ(stats->live_bytes, 0u);

  // The decision function sees no current item for a tombstone.
  bool saw_item = true;
  ASSERT_TRUE(store_
                  ->Write("orders", Key("a", "1"),
                          [&](const proto::Item* current) -> absl::StatusOr<WriteDecision> {
                            saw_item = current != nullptr;
                            return WriteDecision::Noop();
                          })
                  .ok());
  EXPECT_FALSE(saw_item);

  const std::vector<proto::Mutation> log = Log(w->partition);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[1].kind(), proto::Mutation::PUT);
  EXPECT_EQ(log[2].kind(), proto::Mutation::PUT);
  EXPECT_EQ(log[3].kind(), proto::Mutation::DELETE);
  EXPECT_EQ(log[1].item().SerializeAsString(), w->new_item->SerializeAsString());
  EXPECT_EQ(log[3].item().SerializeAsString(), Key("a", "1").SerializeAsString());
  EXPECT_EQ(log[3].hlc(), d->version.hlc);
  EXPECT_EQ(store_->stats().local_writes, 3u);
}

TEST_F(StoreTest, AbortedAndInvalidWritesChangeNothing) {
  CreateOrders();
  ASSERT_TRUE(PutOrder("a", "1", "one").ok());
  const std::vector<uint64_t> before = LastSequences();
  const std::string item_before = (*store_->GetItem("orders", Key("a", "1")))->SerializeAsString();

  // The decision function refuses (a failed condition).
  absl::StatusOr<WriteResult> aborted = store_->Write(
      "orders", Key("a", "1"), [](const proto::Item* current) -> absl::StatusOr<WriteDecision> {
        EXPECT_NE(current, nullptr);
        return absl::AbortedError("The conditional request failed");
      });
  EXPECT_EQ(aborted.status().code(), absl::StatusCode::kAborted);
  // Noop writes nothing either.
  absl::StatusOr<WriteResult> noop = store_->Write(
      "orders", Key("a", "1"),
      [](const proto::Item*) -> absl::StatusOr<WriteDecision> { return WriteDecision::Noop(); });
  ASSERT_TRUE(noop.ok());
  EXPECT_EQ(noop->sequence, 0u);
  EXPECT_TRUE(noop->version.IsZero());
  ASSERT_TRUE(noop->new_item.has_value());

  // Bad input: unknown table, wrong key shapes and types, an image with another key, limits.
  EXPECT_EQ(PutOrder("a", "1", "x").ok(), true);  // sanity: the helper works
  const std::vector<uint64_t> after_sanity = LastSequences();
  const std::string item_sanity = (*store_->GetItem("orders", Key("a", "1")))->SerializeAsString();
  EXPECT_EQ(Put("nope", Key("a", "1"), Key("a", "1")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Put("orders", Key("a", "1"), MakeItem({{"pk", S("a")}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Put("orders", Key("a", "1"), MakeItem({{"pk", N("1")}, {"sk", N("1")}})).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Put("orders", Key("a", "1"), MakeItem({{"pk", S("")}, {"sk", N("1")}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Put("orders", Key("b", "1"), Key("a", "1")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Put("orders", Key("a", "1"), Key("a", "2")).status().code(),  // only the sort key
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Put("orders",
          MakeItem({{"pk", S("a")}, {"sk", N("1")}, {"big", S(std::string(401 * 1024, 'x'))}}),
          Key("a", "1"))
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PutOrder(std::string(2049, 'k'), "1", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Put("orders", MakeItem({{"pk", S("a")}}), Key("a", "1")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetItem("orders", MakeItem({{"pk", S("a")}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetItem("nope", Key("a", "1")).status().code(), absl::StatusCode::kNotFound);

  EXPECT_NE(before, after_sanity);
  EXPECT_EQ(LastSequences(), after_sanity);
  EXPECT_EQ((*store_->GetItem("orders", Key("a", "1")))->SerializeAsString(), item_sanity);
  EXPECT_NE(item_before, item_sanity);
  EXPECT_EQ(store_->GetTableStats("orders")->live_items, 1u);
}

TEST_F(StoreTest, WritesAfterDeleteTableFailAndItemsAreGone) {
  CreateOrders();
  ASSERT_TRUE(PutOrder("a", "1", "one").ok());
  ASSERT_TRUE(store_->DeleteTable("orders").ok());
  EXPECT_EQ(PutOrder("a", "1", "two").status().code(), absl::StatusCode::kNotFound);
  CreateOrders();
  absl::StatusOr<std::optional<proto::Item>> got = store_->GetItem("orders", Key("a", "1"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(store_->GetTableStats("orders")->live_items, 0u);
}

TEST_F(StoreTest, ChangeLogIsGapFreeAndInHlcOrderUnderConcurrentWriters) {
  CreateOrders();
  constexpr int kThreads = 4;
  constexpr int kWrites = 300;
  absl::Mutex mu;
  std::map<uint32_t, std::vector<uint64_t>> returned;  // partition -> sequences
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        // Half the writes hit a shared hot key, so stripes and the queue both contend.
        const std::string pk = i % 2 == 0 ? "hot" : "k" + std::to_string(t * kWrites + i);
        absl::StatusOr<WriteResult> w = PutOrder(pk, std::to_string(i % 7), "v");
        ASSERT_TRUE(w.ok()) << w.status();
        absl::MutexLock lock(&mu);
        returned[w->partition].push_back(w->sequence);
      }
    });
  }
  for (std::thread& t : threads) t.join();

  uint64_t total = 0;
  for (uint32_t p = 0; p < 4; ++p) {
    const std::vector<proto::Mutation> log = Log(p);
    ASSERT_EQ(log.size(), store_->LastSequence(p));
    std::set<uint64_t> seen(returned[p].begin(), returned[p].end());
    EXPECT_EQ(seen.size(), returned[p].size()) << "a sequence was handed out twice";
    for (size_t i = 0; i < log.size(); ++i) {
      EXPECT_EQ(log[i].sequence(), i + 1);
      if (i == 0) continue;
      EXPECT_GT(log[i].hlc(), log[i - 1].hlc()) << "partition " << p << " at " << i;
      EXPECT_TRUE(seen.count(log[i].sequence()));
    }
    total += log.size() - 1;  // minus the CREATE_TABLE record
  }
  EXPECT_EQ(total, uint64_t{kThreads * kWrites});
  EXPECT_EQ(store_->stats().local_writes, uint64_t{kThreads * kWrites});
}

TEST_F(StoreTest, CommitListenerSeesEveryPartitionAdvance) {
  absl::Mutex mu;
  std::map<uint32_t, uint64_t> last;
  store_->SetCommitListener([&](uint32_t partition, uint64_t seq) {
    absl::MutexLock lock(&mu);
    EXPECT_GT(seq, last[partition]);
    last[partition] = seq;
  });
  CreateOrders();
  absl::StatusOr<WriteResult> w = PutOrder("a", "1", "x");
  ASSERT_TRUE(w.ok());
  absl::MutexLock lock(&mu);
  ASSERT_EQ(last.size(), 4u);
  for (uint32_t p = 0; p < 4; ++p) {
    EXPECT_EQ(last[p], p == w->partition ? 2u : 1u);
  }
}

TEST_F(StoreTest, ReadAndTrimChangeLog) {
  CreateOrders();
  // Find a partition and write 10 records into it.
  const uint32_t p = PartitionOf("orders", S("a"), 4);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(PutOrder("a", std::to_string(i), "v").ok());
  EXPECT_EQ(store_->LastSequence(p), 11u);

  absl::StatusOr<std::vector<proto::Mutation>> part = store_->ReadChangeLog(p, 5, 3, 1 << 20);
  ASSERT_TRUE(part.ok());
  ASSERT_EQ(part->size(), 3u);
  EXPECT_EQ((*part)[0].sequence(), 5u);
  EXPECT_EQ((*part)[2].sequence(), 7u);
  // The byte budget stops early but always returns at least one record.
  part = store_->ReadChangeLog(p, 5, 100, 1);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->size(), 1u);
  part = store_->ReadChangeLog(p, 12, 100, 1 << 20);
  ASSERT_TRUE(part.ok());
  EXPECT_TRUE(part->empty());
  EXPECT_EQ(store_->ReadChangeLog(4, 1, 10, 1 << 20).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->TrimChangeLog(4, 1).code(), absl::StatusCode::kInvalidArgument);

  // The records as stored: the same sequences and bytes, the same limits.
  absl::StatusOr<std::vector<ChangeLogRecord>> raw = store_->ReadChangeLogRecords(p, 5, 3, 1 << 20);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 3u);
  part = store_->ReadChangeLog(p, 5, 3, 1 << 20);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*raw)[i].sequence, 5 + i);
    EXPECT_EQ((*raw)[i].bytes, (*part)[i].SerializeAsString());
  }
  raw = store_->ReadChangeLogRecords(p, 5, 100, 1);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), 1u);
  raw = store_->ReadChangeLogRecords(p, 12, 100, 1 << 20);
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(raw->empty());
  EXPECT_EQ(store_->ReadChangeLogRecords(4, 1, 10, 1 << 20).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(store_->TrimChangeLog(p, 6).ok());
  part = store_->ReadChangeLog(p, 1, 100, 1 << 20);
  ASSERT_TRUE(part.ok());
  ASSERT_EQ(part->size(), 6u);
  EXPECT_EQ(part->front().sequence(), 6u);

  // Trimming past the end keeps the last record, so the sequence survives a reopen.
  ASSERT_TRUE(store_->TrimChangeLog(p, 1000).ok());
  part = store_->ReadChangeLog(p, 1, 100, 1 << 20);
  ASSERT_EQ(part->size(), 1u);
  EXPECT_EQ(part->front().sequence(), 11u);
  Open();
  EXPECT_EQ(store_->LastSequence(p), 11u);
  absl::StatusOr<WriteResult> w = PutOrder("a", "1", "after");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->sequence, 12u);
}

TEST_F(StoreTest, ClockIsRestoredAfterReopen) {
  wall_.Set(kBase + 60'000);
  CreateOrders();
  absl::StatusOr<WriteResult> w = PutOrder("a", "1", "x");
  ASSERT_TRUE(w.ok());
  store_.reset();

  // A new process whose physical clock is a minute behind.
  clock::ManualClock wall(kBase);
  clock::HybridClock clock(&wall);
  absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(Options(), &clock);
  ASSERT_TRUE(reopened.ok());
  EXPECT_GE(clock.Current(), w->version.hlc);
  absl::StatusOr<WriteResult> w2 = (*reopened)->Write(
      "orders", Key("a", "1"),
      [](const proto::Item*) -> absl::StatusOr<WriteDecision> { return WriteDecision::Delete(); });
  ASSERT_TRUE(w2.ok());
  EXPECT_GT(w2->version, w->version);
}

TEST_F(StoreTest, Settings) {
  EXPECT_FALSE(store_->GetSetting("mode")->has_value());
  ASSERT_TRUE(store_->PutSetting("mode", "fenced").ok());
  EXPECT_EQ(store_->PutSetting("", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutSetting(std::string(257, 'n'), "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetSetting("").status().code(), absl::StatusCode::kInvalidArgument);
  Open();
  absl::StatusOr<std::optional<std::string>> mode = store_->GetSetting("mode");
  ASSERT_TRUE(mode.ok() && mode->has_value());
  EXPECT_EQ(**mode, "fenced");
}

TEST_F(StoreTest, DigestTracksContent) {
  CreateOrders();
  absl::StatusOr<TableDigest> empty = store_->Digest("orders");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->digest, std::string(32, '0'));
  EXPECT_EQ(store_->Digest("nope").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(PutOrder("a", "1", "x").ok());
  ASSERT_TRUE(PutOrder("b", "2", "y").ok());
  absl::StatusOr<TableDigest> two = store_->Digest("orders");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->items, 2u);
  EXPECT_EQ(two->digest.size(), 32u);
  EXPECT_NE(two->digest, empty->digest);
  // Same bytes, newer version: a different digest.
  ASSERT_TRUE(PutOrder("a", "1", "x").ok());
  absl::StatusOr<TableDigest> rewritten = store_->Digest("orders");
  EXPECT_NE(rewritten->digest, two->digest);
  ASSERT_TRUE(Delete("orders", Key("b", "2")).ok());
  absl::StatusOr<TableDigest> deleted = store_->Digest("orders");
  EXPECT_EQ(deleted->items, 1u);
  EXPECT_EQ(deleted->tombstones, 1u);
  Open();
  EXPECT_EQ(store_->Digest("orders")->digest, deleted->digest);
}

TEST_F(StoreTest, PurgeTombstonesHonoursWatermarkAndGrace) {
  StoreOptions o = Options();
  o.tombstone_grace = absl::Minutes(10);
  Open(o);
  CreateOrders();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(PutOrder("k" + std::to_string(i), "1", "v").ok());
  std::vector<WriteResult> deletes;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<WriteResult> d = Delete("orders", Key("k" + std::to_string(i), "1"));
    ASSERT_TRUE(d.ok());
    deletes.push_back(*d);
  }
  // Re-writing k2 after its delete: a live item, nothing to purge there.
  ASSERT_TRUE(PutOrder("k2", "1", "back").ok());
  const clock::Timestamp safe_all = clock_.Now();
  EXPECT_EQ(*store_->PurgeTombstones(safe_all), 0u) << "inside the grace period";
  wall_.Advance(10 * 60 * 1000);
  EXPECT_EQ(*store_->PurgeTombstones(deletes[0].version.hlc), 0u) << "not past the watermark";
  EXPECT_EQ(*store_->PurgeTombstones(deletes[1].version.hlc), 1u);
  EXPECT_EQ(store_->GetTableStats("orders")->tombstones, 1u);
  EXPECT_EQ(*store_->PurgeTombstones(safe_all), 1u);
  EXPECT_EQ(*store_->PurgeTombstones(safe_all), 0u);
  absl::StatusOr<TableStats> stats = store_->GetTableStats("orders");
  EXPECT_EQ(stats->tombstones, 0u);
  EXPECT_EQ(stats->live_items, 3u);
  EXPECT_EQ(store_->Digest("orders")->tombstones, 0u);
  EXPECT_EQ(FindAttribute(**store_->GetItem("orders", Key("k2", "1")), "v")->s(), "back");
}

TEST(PartitionOfTest, StableAndSpread) {
  // Pinned: partitions must never change across releases (peers route by them).
  EXPECT_EQ(PartitionOf("orders", S("a"), 16), 13u);
  EXPECT_EQ(PartitionOf("orders", N("12.5"), 16), 1u);
  EXPECT_EQ(PartitionOf("users", B("xyz"), 1000), 753u);
  EXPECT_EQ(PartitionOf("orders", S("a"), 1), 0u);
  std::set<uint32_t> seen;
  for (int i = 0; i < 200; ++i) seen.insert(PartitionOf("t", S("k" + std::to_string(i)), 16));
  EXPECT_EQ(seen.size(), 16u);
  // The table name takes part: the same key lands in different partitions across tables.
  std::set<uint32_t> across;
  for (int i = 0; i < 50; ++i) across.insert(PartitionOf("t" + std::to_string(i), S("a"), 16));
  EXPECT_GT(across.size(), 8u);
  EXPECT_EQ(PartitionOf("t", N("1"), 16), PartitionOf("t", N("1"), 16));
  EXPECT_LT(PartitionOf("t", B("\x01"), 16), 16u);
}

}  // namespace
}  // namespace globaltable::storage
