// Store tests of WriteMany (one commit for many items, all or nothing, no deadlock with Write)
// and of the table counters persisted by every commit, against real RocksDB in a fresh
// temporary directory.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/store.h"
#include "storage/store_test_fixture.h"
#include "storage/store_testing.h"

namespace globaltable::storage {
namespace {

using testing::MakeItem;
using testing::MakeSchema;
using testing::N;
using testing::S;
using testing::StoreTest;

// The store's RocksDB opened with RocksDB's default options, as an operator's tool would (the
// store must not depend on anything, a merge operator say, such a tool would not have), every
// column family by name. Closed by the destructor.
class RawDb {
 public:
  RawDb(const std::string& dir, bool read_only) {
    std::vector<std::string> names;
    status_ = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    if (status_.ok()) {
      status_ = read_only ? rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, families,
                                                         &handles, &db)
                          : rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &handles, &db);
    }
    db_.reset(db);
    for (size_t i = 0; i < handles.size(); ++i) families_.emplace_back(names[i], handles[i]);
  }
  ~RawDb() {
    for (auto& [name, handle] : families_) db_->DestroyColumnFamilyHandle(handle);
  }
  const rocksdb::Status& status() const { return status_; }
  rocksdb::DB* db() { return db_.get(); }
  // (name, handle) of every column family.
  const std::vector<std::pair<std::string, rocksdb::ColumnFamilyHandle*>>& families() const {
    return families_;
  }

 private:
  rocksdb::Status status_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::pair<std::string, rocksdb::ColumnFamilyHandle*>> families_;
};

TEST_F(StoreTest, WriteManyCommitsEveryItemInOneGroup) {
  CreateOrders();
  ASSERT_TRUE(PutOrder("k0", "1", "old").ok());
  ASSERT_TRUE(PutOrder("k1", "1", "doomed").ok());
  const std::vector<uint64_t> before = LastSequences();
  const uint64_t groups_before = store_->stats().commit_groups;
  const uint64_t writes_before = store_->stats().local_writes;

  std::vector<WriteOp> ops;
  std::vector<proto::Item> images;
  for (int i = 0; i < 12; ++i) images.push_back(MakeItem({{"pk", S(absl::StrCat("k", i))},
                                                          {"sk", N("1")},
                                                          {"v", S(absl::StrCat("new", i))}}));
  for (int i = 0; i < 12; ++i) {
    WriteOp op;
    op.key = Key(absl::StrCat("k", i), "1");
    if (i == 1) {
      op.decide = [](const proto::Item*) -> absl::StatusOr<WriteDecision> {
        return WriteDecision::Delete();
      };
    } else if (i == 2) {
      op.decide = [](const proto::Item*) -> absl::StatusOr<WriteDecision> {
        return WriteDecision::Noop();
      };
    } else {
      op.decide = [&images, i](const proto::Item*) -> absl::StatusOr<WriteDecision> {
        return WriteDecision::Put(images[static_cast<size_t>(i)]);
      };
    }
    ops.push_back(std::move(op));
  }
  absl::StatusOr<std::vector<WriteResult>> results = store_->WriteMany("orders", ops);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 12u);
  EXPECT_EQ(store_->stats().commit_groups, groups_before + 1);
  EXPECT_EQ(store_->stats().local_writes, writes_before + 11);  // the noop writes nothing

  // In the order of the ops: old items, new items, versions, one record per written item.
  ASSERT_TRUE((*results)[0].old_item.has_value());
  EXPECT_EQ((*results)[0].new_item->SerializeAsString(), images[0].SerializeAsString());
  EXPECT_TRUE((*results)[1].old_item.has_value());
  EXPECT_FALSE((*results)[1].new_item.has_value());
  EXPECT_EQ((*results)[2].sequence, 0u);
  EXPECT_TRUE((*results)[2].version.IsZero());
  std::vector<uint64_t> written(store_->num_partitions(), 0);
  for (size_t i = 0; i < 12; ++i) {
    const WriteResult& r = (*results)[i];
    EXPECT_EQ(r.partition, PartitionOf("orders", S(absl::StrCat("k", i)), 4));
    if (i == 2) continue;
    EXPECT_GT(r.sequence, before[r.partition]);
    EXPECT_EQ(r.version.region, 1u);
    ++written[r.partition];
  }
  for (uint32_t p = 0; p < store_->num_partitions(); ++p) {
    EXPECT_EQ(LastSequences()[p], before[p] + written[p]) << "partition " << p;
  }
  absl::StatusOr<std::optional<proto::Item>> got = store_->GetItem("orders", Key("k5", "1"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->SerializeAsString(), images[5].SerializeAsString());
  got = store_->GetItem("orders", Key("k1", "1"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  got = store_->GetItem("orders", Key("k2", "1"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(store_->GetTableStats("orders")->live_items, 10u);
  EXPECT_EQ(store_->GetTableStats("orders")->tombstones, 1u);
}

TEST_F(StoreTest, WriteManyIsAllOrNothing) {
  CreateOrders();
  ASSERT_TRUE(PutOrder("a", "1", "one").ok());
  const std::vector<uint64_t> before = LastSequences();
  const std::string item_before = (*store_->GetItem("orders", Key("a", "1")))->SerializeAsString();
  const uint64_t groups_before = store_->stats().commit_groups;
  auto put = [](proto::Item image) {
    return [image = std::move(image)](const proto::Item*) -> absl::StatusOr<WriteDecision> {
      return WriteDecision::Put(image);
    };
  };
  auto op = [](proto::Item key, DecisionFn decide) {
    WriteOp o;
    o.key = std::move(key);
    o.decide = std::move(decide);
    return o;
  };
  const proto::Item a2 = MakeItem({{"pk", S("a")}, {"sk", N("1")}, {"v", S("two")}});
  const proto::Item b = MakeItem({{"pk", S("b")}, {"sk", N("1")}});

  // A refusing decision in the middle.
  std::vector<WriteOp> refused = {
      op(Key("a", "1"), put(a2)),
      op(Key("c", "1"),
         [](const proto::Item*) -> absl::StatusOr<WriteDecision> {
           return absl::AbortedError("The conditional request failed");
         }),
      op(Key("b", "1"), put(b))};
  EXPECT_EQ(store_->WriteMany("orders", refused).status().code(), absl::StatusCode::kAborted);
  // An invalid image last (over 400 KB).
  std::vector<WriteOp> too_big = {
      op(Key("a", "1"), put(a2)),
      op(Key("b", "1"),
         put(MakeItem({{"pk", S("b")}, {"sk", N("1")}, {"x", S(std::string(401 * 1024, 'x'))}})))};
  EXPECT_EQ(store_->WriteMany("orders", too_big).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The same key twice (numbers compare after normalization), a bad key, an unknown table.
  std::vector<WriteOp> duplicate = {op(Key("a", "1"), put(a2)), op(Key("a", "1.0"), put(a2))};
  absl::Status dup = store_->WriteMany("orders", duplicate).status();
  EXPECT_EQ(dup.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dup.message().find("duplicates"), absl::string_view::npos) << dup;
  std::vector<WriteOp> bad_key = {op(Key("a", "1"), put(a2)),
                                  op(MakeItem({{"pk", S("b")}}), put(b))};
  EXPECT_EQ(store_->WriteMany("orders", bad_key).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->WriteMany("nope", refused).status().code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(LastSequences(), before);
  EXPECT_EQ((*store_->GetItem("orders", Key("a", "1")))->SerializeAsString(), item_before);
  EXPECT_FALSE(store_->GetItem("orders", Key("b", "1"))->has_value());
  EXPECT_EQ(store_->stats().commit_groups, groups_before);
  EXPECT_EQ(store_->GetTableStats("orders")->live_items, 1u);
  // An empty call is fine and writes nothing.
  absl::StatusOr<std::vector<WriteResult>> none = store_->WriteMany("orders", {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// A transaction spans tables, runs every decision even after one refused (each learns its
// current item), and then writes all or nothing in one commit group.
TEST_F(StoreTest, WriteTransactionSpansTablesAndIsAllOrNothing) {
  CreateOrders();
  ASSERT_TRUE(store_->CreateTable(MakeSchema("stock", proto::S)).ok());
  ASSERT_TRUE(PutOrder("a", "1", "one").ok());
  const proto::Item widget_key = MakeItem({{"pk", S("widget")}});
  ASSERT_TRUE(Put("stock", MakeItem({{"pk", S("widget")}, {"n", N("5")}}), widget_key).ok());
  const std::vector<uint64_t> before = LastSequences();
  const uint64_t groups_before = store_->stats().commit_groups;

  std::vector<std::string> seen;  // what each decision saw, in order
  auto decide = [&](std::string name, absl::Status verdict, std::optional<proto::Item> image) {
    return [&seen, name, verdict, image](const proto::Item* current)
               -> absl::StatusOr<WriteDecision> {
      seen.push_back(name + (current != nullptr ? ":present" : ":absent"));
      if (!verdict.ok()) return verdict;
      return image ? WriteDecision::Put(*image) : WriteDecision::Delete();
    };
  };
  const proto::Item b = MakeItem({{"pk", S("b")}, {"sk", N("1")}});
  std::vector<TransactionWrite> refused = {
      {"orders", Key("b", "1"), decide("b", absl::OkStatus(), b)},
      {"stock", widget_key, decide("widget", absl::AbortedError("refused"), std::nullopt)},
      {"orders", Key("a", "1"), decide("a", absl::AbortedError("refused too"), std::nullopt)}};
  absl::Status s = store_->WriteTransaction(refused).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(), "refused") << "the first error";
  EXPECT_EQ(seen, (std::vector<std::string>{"b:absent", "widget:present", "a:present"}));
  EXPECT_EQ(LastSequences(), before) << "nothing written";
  EXPECT_FALSE((*store_->GetItem("orders", Key("b", "1"))).has_value());

  std::vector<TransactionWrite> good = {
      {"orders", Key("b", "1"), decide("b", absl::OkStatus(), b)},
      {"stock", widget_key, decide("widget", absl::OkStatus(), std::nullopt)}};
  absl::StatusOr<std::vector<WriteResult>> done = store_->WriteTransaction(good);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(store_->stats().commit_groups, groups_before + 1) << "one commit group";
  EXPECT_TRUE((*store_->GetItem("orders", Key("b", "1"))).has_value());
  EXPECT_FALSE((*store_->GetItem("stock", widget_key)).has_value());
  EXPECT_EQ((*done)[1].old_item->attributes_size(), 2);

  // Read back in one view, across tables, absent and deleted items included.
  absl::StatusOr<std::vector<std::optional<proto::Item>>> got = store_->GetItems(
      {{"orders", Key("b", "1")}, {"stock", widget_key}, {"orders", Key("a", "1")}});
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_TRUE((*got)[0].has_value());
  EXPECT_FALSE((*got)[1].has_value());
  EXPECT_EQ(FindAttribute(*(*got)[2], "v")->s(), "one");

  // The same item twice, an unknown table.
  std::vector<TransactionWrite> twice = {
      {"orders", Key("a", "1"), decide("a", absl::OkStatus(), std::nullopt)},
      {"orders", Key("a", "1.0"), decide("a", absl::OkStatus(), std::nullopt)}};
  EXPECT_EQ(store_->WriteTransaction(twice).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<TransactionWrite> unknown = {
      {"orders", Key("a", "1"), decide("a", absl::OkStatus(), std::nullopt)},
      {"nope", widget_key, decide("x", absl::OkStatus(), std::nullopt)}};
  EXPECT_EQ(store_->WriteTransaction(unknown).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetItems({{"nope", widget_key}}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*store_->GetItem("orders", Key("a", "1"))).has_value());
}

TEST_F(StoreTest, WriteManyAndWriteInterleaveWithoutDeadlockOrGaps) {
  CreateOrders();
  // Two threads write overlapping key sets in opposite orders with WriteMany, two more write
  // the same keys one at a time: stripes are taken in index order, so nothing deadlocks, and
  // the change log stays gap-free and in HLC order.
  constexpr int kRounds = 50;
  constexpr int kKeys = 16;
  auto many = [&](bool reverse) {
    for (int r = 0; r < kRounds; ++r) {
      std::vector<WriteOp> ops;
      for (int k = 0; k < kKeys; ++k) {
        const int i = reverse ? kKeys - 1 - k : k;
        WriteOp o;
        o.key = Key(absl::StrCat("k", i), "1");
        o.decide = [i, r](const proto::Item*) -> absl::StatusOr<WriteDecision> {
          return WriteDecision::Put(MakeItem(
              {{"pk", S(absl::StrCat("k", i))}, {"sk", N("1")}, {"v", N(absl::StrCat(r))}}));
        };
        ops.push_back(std::move(o));
      }
      EXPECT_TRUE(store_->WriteMany("orders", ops).ok());
    }
  };
  auto single = [&](int t) {
    for (int r = 0; r < kRounds * 4; ++r) {
      EXPECT_TRUE(PutOrder(absl::StrCat("k", (r + t) % kKeys), "1", "single").ok());
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(many, false);
  threads.emplace_back(many, true);
  threads.emplace_back(single, 0);
  threads.emplace_back(single, 7);
  for (std::thread& t : threads) t.join();

  uint64_t records = 0;
  for (uint32_t p = 0; p < store_->num_partitions(); ++p) {
    const std::vector<proto::Mutation> log = Log(p);
    for (size_t i = 1; i < log.size(); ++i) {
      EXPECT_EQ(log[i].sequence(), log[i - 1].sequence() + 1);
      EXPECT_GT(log[i].hlc(), log[i - 1].hlc());
    }
    records += log.size() - 1;  // minus CREATE_TABLE
  }
  EXPECT_EQ(records, uint64_t{2 * kRounds * kKeys + 2 * kRounds * 4});
  EXPECT_EQ(store_->GetTableStats("orders")->live_items, uint64_t{kKeys});
}

TEST_F(StoreTest, TableCountersArePersistedWithEveryCommit) {
  StoreOptions o = Options();
  o.tombstone_grace = absl::ZeroDuration();
  Open(o);
  CreateOrders();
  ASSERT_TRUE(store_->CreateTable(MakeSchema("other", proto::S, proto::N)).ok());
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(PutOrder(absl::StrCat("k", i % 7), absl::StrCat(i), "v").ok());
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Delete("orders", Key(absl::StrCat("k", i % 7), absl::StrCat(i))).ok());
  }
  ASSERT_TRUE(Put("other", MakeItem({{"pk", S("x")}, {"sk", N("1")}}), Key("x", "1")).ok());
  // Tombstones purged later leave the counters too.
  const clock::Timestamp safe_all = clock_.Now();
  wall_.Advance(1000);
  absl::StatusOr<uint64_t> purged = store_->PurgeTombstones(safe_all);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 5u);
  const TableStats orders = *store_->GetTableStats("orders");
  EXPECT_EQ(orders.live_items, 25u);
  EXPECT_EQ(orders.tombstones, 0u);

  Open();
  EXPECT_EQ(store_->stats().tables_counted_at_open, 0u);
  const TableStats reopened = *store_->GetTableStats("orders");
  EXPECT_EQ(reopened.live_items, orders.live_items);
  EXPECT_EQ(reopened.tombstones, orders.tombstones);
  EXPECT_EQ(reopened.live_bytes, orders.live_bytes);
  EXPECT_GT(reopened.live_bytes, 0u);
  EXPECT_EQ(store_->GetTableStats("other")->live_items, 1u);

  // A deleted table's counters go with it; a new table of the same name starts from zero.
  ASSERT_TRUE(store_->DeleteTable("orders").ok());
  CreateOrders();
  ASSERT_TRUE(PutOrder("a", "1", "v").ok());
  Open();
  EXPECT_EQ(store_->GetTableStats("orders")->live_items, 1u);
  EXPECT_EQ(store_->GetTableStats("other")->live_items, 1u);
}

TEST_F(StoreTest, TablesWithoutPersistedCountersAreCountedOnceAtOpen) {
  CreateOrders();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(PutOrder("k", absl::StrCat(i), "v").ok());
  ASSERT_TRUE(Delete("orders", Key("k", "3")).ok());
  const TableStats before = *store_->GetTableStats("orders");
  store_.reset();

  // What a store written before the counters were persisted looks like: no "stats/" keys.
  {
    RawDb raw(Options().dir, /*read_only=*/false);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    for (const auto& [name, handle] : raw.families()) {
      if (name != "meta") continue;
      std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), handle));
      int removed = 0;
      for (it->Seek("stats/"); it->Valid() && it->key().starts_with("stats/"); it->Next()) {
        ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), handle, it->key()).ok());
        ++removed;
      }
      EXPECT_EQ(removed, 1);
    }
  }

  Open();
  EXPECT_EQ(store_->stats().tables_counted_at_open, 1u);
  TableStats counted = *store_->GetTableStats("orders");
  EXPECT_EQ(counted.live_items, before.live_items);
  EXPECT_EQ(counted.tombstones, 1u);
  EXPECT_EQ(counted.live_bytes, before.live_bytes);
  // Counted once: from now on they are kept, and the next open reads them.
  ASSERT_TRUE(PutOrder("k", "100", "v").ok());
  Open();
  EXPECT_EQ(store_->stats().tables_counted_at_open, 0u);
  EXPECT_EQ(store_->GetTableStats("orders")->live_items, before.live_items + 1);
}

TEST_F(StoreTest, RecordsAreCanonicalSerializations) {
  // Every region must end with the same bytes for the same version, whichever path wrote it
  // (a local write and a remote apply both splice the serialized image into their records):
  // each item and change-log record is checked against a fresh serialization of its parsed
  // self.
  {
    // Region 2 writes table "remote" (puts, an overwrite, deletes); its change log is applied
    // here, partition by partition, as one batch each.
    StoreOptions o = Options();
    o.dir = dir_.Sub("r2");
    o.region_id = 2;
    o.region_name = "r2";
    absl::StatusOr<std::unique_ptr<Store>> r2 = Store::Open(o, &clock_);
    ASSERT_TRUE(r2.ok()) << r2.status();
    ASSERT_TRUE((*r2)->CreateTable(MakeSchema("remote", proto::S, proto::N)).ok());
    auto put = [&](const std::string& pk, const std::string& v) {
      proto::Item item = MakeItem({{"pk", S(pk)}, {"sk", N("1")}, {"v", S(v)}});
      return (*r2)->Write("remote", Key(pk, "1"),
                          [&](const proto::Item*) -> absl::StatusOr<WriteDecision> {
                            return WriteDecision::Put(item);
                          });
    };
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(put(absl::StrCat("r", i), std::string(200, 'x')).ok());
    ASSERT_TRUE(put("r0", "again").ok());
    ASSERT_TRUE((*r2)->Write("remote", Key("r1", "1"),
                             [](const proto::Item*) -> absl::StatusOr<WriteDecision> {
                               return WriteDecision::Delete();
                             })
                    .ok());
    for (uint32_t p = 0; p < (*r2)->num_partitions(); ++p) {
      absl::StatusOr<std::vector<proto::Mutation>> log =
          (*r2)->ReadChangeLog(p, 1, 1'000'000, size_t{1} << 30);
      ASSERT_TRUE(log.ok() && !log->empty());
      proto::MutationBatch b;
      b.set_origin_region(2);
      b.set_origin_name("r2");
      b.set_partition(p);
      b.set_first_sequence(log->front().sequence());
      b.set_last_sequence(log->back().sequence());
      for (proto::Mutation& m : *log) *b.add_mutations() = std::move(m);
      absl::StatusOr<ApplyResult> applied = store_->ApplyBatch(b);
      ASSERT_TRUE(applied.ok()) << applied.status();
    }
    absl::StatusOr<TableStats> stats = store_->GetTableStats("remote");
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->live_items, 5u);  // the counters kept by the apply path
    EXPECT_EQ(stats->tombstones, 1u);
    EXPECT_EQ(stats->live_bytes, (*r2)->GetTableStats("remote")->live_bytes);
  }
  CreateOrders();
  ASSERT_TRUE(PutOrder("a", "1", "first").ok());
  ASSERT_TRUE(PutOrder("a", "1", "second").ok());  // replaces a version: prev_* set
  ASSERT_TRUE(PutOrder("b", "2", "").ok());
  ASSERT_TRUE(Delete("orders", Key("b", "2")).ok());  // tombstone: no image, a purge time
  ASSERT_TRUE(Delete("orders", Key("never", "3")).ok());
  std::vector<WriteOp> ops(2);
  for (int i = 0; i < 2; ++i) {
    ops[i].key = Key(absl::StrCat("m", i), "1");
    ops[i].decide = [i](const proto::Item*) -> absl::StatusOr<WriteDecision> {
      return WriteDecision::Put(
          MakeItem({{"pk", S(absl::StrCat("m", i))}, {"sk", N("1")}, {"n", N("12.5")}}));
    };
  }
  ASSERT_TRUE(store_->WriteMany("orders", ops).ok());
  store_.reset();

  RawDb raw(Options().dir, /*read_only=*/true);
  ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
  int items = 0, tombstones = 0, records = 0;
  for (const auto& [name, handle] : raw.families()) {
    std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string value = it->value().ToString();
      if (name == "items") {
        proto::StoredItem stored;
        ASSERT_TRUE(stored.ParseFromString(value));
        EXPECT_EQ(stored.SerializeAsString(), value) << stored.DebugString();
        ++(stored.tombstone() ? tombstones : items);
      } else if (name == "changelog") {
        proto::Mutation m;
        ASSERT_TRUE(m.ParseFromString(value));
        EXPECT_EQ(m.SerializeAsString(), value) << m.DebugString();
        if (m.kind() == proto::Mutation::PUT || m.kind() == proto::Mutation::DELETE) ++records;
      }
    }
    ASSERT_TRUE(it->status().ok());
  }
  EXPECT_EQ(items, 3 + 5);       // a, m0, m1; r0 and r2..r5 applied from region 2
  EXPECT_EQ(tombstones, 2 + 1);  // b, never; r1
  EXPECT_EQ(records, 7);
}

}  // namespace
}  // namespace globaltable::storage
