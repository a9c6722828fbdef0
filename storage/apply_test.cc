// ApplyBatch tests with real stores on both sides: batches are cut from a source region's
// change log and applied to a target region. Covers LWW and conflicts, idempotence, gaps,
// malformed batches, the clock's max offset, table mutations and incarnations, and a
// randomized property test: any arrival order (with duplicates and refused batches retried)
// ends in identical digests.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "storage/store_testing.h"

namespace globaltable::storage {
namespace {

using testing::MakeItem;
using testing::MakeSchema;
using testing::N;
using testing::S;
using testing::TempDir;

constexpr uint64_t kBase = 1'700'000'000'000;

// A region: its own clock (on a shared wall clock) and store.
struct Region {
  Region(const TempDir& dir, clock::RegionId id, clock::ManualClock* wall, uint32_t partitions = 4)
      : clock(wall) {
    StoreOptions o;
    static std::atomic<int> counter{0};
    o.dir = dir.Sub("r" + std::to_string(id) + "_" + std::to_string(counter++));
    o.region_id = id;
    o.num_partitions = partitions;
    o.block_cache_bytes = 2 << 20;
    o.write_buffer_bytes = 1 << 20;
    o.conflict_log_capacity = 8;
    options = o;
    Reopen();
  }
  void Reopen() {
    store.reset();
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(options, &clock);
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) store = std::move(*s);
  }
  clock::HybridClock clock;
  StoreOptions options;
  std::unique_ptr<Store> store;
};

proto::Item Key(const std::string& pk, int sk) {
  return MakeItem({{"pk", S(pk)}, {"sk", N(std::to_string(sk))}});
}

absl::StatusOr<WriteResult> Put(Store* store, const std::string& pk, int sk, const std::string& v) {
  proto::Item item = MakeItem({{"pk", S(pk)}, {"sk", N(std::to_string(sk))}, {"v", S(v)}});
  return store->Write("t", Key(pk, sk), [&](const proto::Item*) -> absl::StatusOr<WriteDecision> {
    return WriteDecision::Put(item);
  });
}

absl::StatusOr<WriteResult> Del(Store* store, const std::string& pk, int sk) {
  return store->Write("t", Key(pk, sk), [](const proto::Item*) -> absl::StatusOr<WriteDecision> {
    return WriteDecision::Delete();
  });
}

// The source's change log of `partition` from `from`, cut into batches of at most `size`.
std::vector<proto::MutationBatch> Batches(const Store& src, clock::RegionId origin,
                                          uint32_t partition, size_t size, uint64_t from = 1) {
  absl::StatusOr<std::vector<proto::Mutation>> log =
      src.ReadChangeLog(partition, from, 1'000'000, size_t{1} << 40);
  EXPECT_TRUE(log.ok());
  std::vector<proto::MutationBatch> out;
  for (size_t i = 0; log.ok() && i < log->size(); i += size) {
    proto::MutationBatch b;
    b.set_origin_region(origin);
    b.set_origin_name("r" + std::to_string(origin));
    b.set_partition(partition);
    b.set_origin_partitions(src.num_partitions());
    for (size_t j = i; j < std::min(log->size(), i + size); ++j) *b.add_mutations() = (*log)[j];
    b.set_first_sequence(b.mutations(0).sequence());
    b.set_last_sequence(b.mutations(b.mutations_size() - 1).sequence());
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<proto::MutationBatch> AllBatches(const Store& src, clock::RegionId origin,
                                             size_t size) {
  std::vector<proto::MutationBatch> out;
  for (uint32_t p = 0; p < src.num_partitions(); ++p) {
    for (auto& b : Batches(src, origin, p, size)) out.push_back(std::move(b));
  }
  return out;
}

std::string DigestOf(const Store& store) {
  absl::StatusOr<TableDigest> d = store.Digest("t");
  return d.ok() ? absl::StrCat(d->digest, "/", d->items, "/", d->tombstones)
                : d.status().ToString();
}

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = std::make_unique<Region>(dir_, 2, &wall_);
    dst_ = std::make_unique<Region>(dir_, 1, &wall_);
    ASSERT_TRUE(src_->store->CreateTable(MakeSchema("t", proto::S, proto::N)).ok());
  }
  TempDir dir_;
  clock::ManualClock wall_{kBase};
  std::unique_ptr<Region> src_, dst_;
};

TEST_F(ApplyTest, AppliesAndIsIdempotent) {
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(Put(src_->store.get(), "k" + std::to_string(i % 13), i, "v").ok());
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(Del(src_->store.get(), "k" + std::to_string(i % 13), i).ok());
  const std::vector<proto::MutationBatch> batches = AllBatches(*src_->store, 2, 7);
  uint64_t applied = 0, duplicates = 0;
  for (const auto& b : batches) {
    absl::StatusOr<ApplyResult> r = dst_->store->ApplyBatch(b);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->superseded, 0u);
    applied += r->applied;
    duplicates += r->duplicates;
  }
  // The CREATE_TABLE record of every partition: the first installs, the others are copies.
  EXPECT_EQ(applied, 1u + 50u);
  EXPECT_EQ(duplicates, 3u);
  EXPECT_EQ(DigestOf(*dst_->store), DigestOf(*src_->store));
  EXPECT_EQ(dst_->store->GetTableStats("t")->tombstones, 10u);
  for (uint32_t p = 0; p < 4; ++p) {
    EXPECT_EQ(dst_->store->AppliedWatermark(2, p), src_->store->LastSequence(p));
    EXPECT_EQ(dst_->store->LastSequence(p), 0u) << "remote applies are not in the local log";
  }
  EXPECT_GE(dst_->store->AppliedHlc(2), src_->store->DescribeTable("t")->created_hlc());
  EXPECT_EQ(dst_->store->stats().remote_applied, applied);
  // The target's clock has observed every applied version.
  EXPECT_GT(dst_->clock.Current(), dst_->store->AppliedHlc(2));

  // Everything again, and overlapping re-cuts: nothing changes.
  const std::string digest = DigestOf(*dst_->store);
  for (const auto& b : AllBatches(*src_->store, 2, 5)) {
    absl::StatusOr<ApplyResult> r = dst_->store->ApplyBatch(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->applied, 0u);
    EXPECT_EQ(r->duplicates, static_cast<uint64_t>(b.mutations_size()));
  }
  EXPECT_EQ(DigestOf(*dst_->store), digest);
  EXPECT_EQ(dst_->store->stats().remote_applied, applied);

  // The applies' counter changes were persisted with them: a reopen reads them, no scan.
  const TableStats before = *dst_->store->GetTableStats("t");
  dst_->Reopen();
  ASSERT_NE(dst_->store, nullptr);
  const TableStats after = *dst_->store->GetTableStats("t");
  EXPECT_EQ(after.live_items, before.live_items);
  EXPECT_EQ(after.tombstones, 10u);
  EXPECT_EQ(after.live_bytes, before.live_bytes);
  EXPECT_EQ(dst_->store->stats().tables_counted_at_open, 0u);
}

TEST_F(ApplyTest, OverlappingBatchSkipsItsDuplicatePrefix) {
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Put(src_->store.get(), "same", i, "v").ok());
  const uint32_t p = PartitionOf("t", S("same"), 4);
  std::vector<proto::MutationBatch> small = Batches(*src_->store, 2, p, 3);  // 1-3, 4-6, 7
  std::vector<proto::MutationBatch> big = Batches(*src_->store, 2, p, 100);  // 1-7
  ASSERT_TRUE(dst_->store->ApplyBatch(small[0]).ok());
  absl::StatusOr<ApplyResult> r = dst_->store->ApplyBatch(big[0]);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->duplicates, 3u);
  EXPECT_EQ(r->applied, 4u);
  EXPECT_EQ(dst_->store->AppliedWatermark(2, p), 7u);
}

TEST_F(ApplyTest, LastWriterWinsAndLosersAreLogged) {
  // Replicate the table first, so both regions write to the same incarnation.
  for (const auto& b : AllBatches(*src_->store, 2, 100))
    ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
  const uint64_t created_seq = src_->store->LastSequence(PartitionOf("t", S("a"), 4));

  // Region 2 writes "a" first and "b" last; region 1 writes both in between.
  ASSERT_TRUE(Put(src_->store.get(), "a", 1, "remote-old").ok());
  wall_.Advance(10);
  absl::StatusOr<WriteResult> local_a = Put(dst_->store.get(), "a", 1, "local");
  absl::StatusOr<WriteResult> local_b = Put(dst_->store.get(), "b", 1, "local");
  ASSERT_TRUE(local_a.ok() && local_b.ok());
  wall_.Advance(10);
  // Region 2's clock has not seen region 1's writes: "b" is a concurrent, later write.
  ASSERT_TRUE(Put(src_->store.get(), "b", 1, "remote-new").ok());

  uint64_t superseded = 0, applied = 0, conflicts_seen = 0;
  for (uint32_t p = 0; p < 4; ++p) {
    const uint64_t from = p == PartitionOf("t", S("a"), 4) ? created_seq + 1 : 2;
    for (const auto& b : Batches(*src_->store, 2, p, 100, from)) {
      absl::StatusOr<ApplyResult> r = dst_->store->ApplyBatch(b);
      ASSERT_TRUE(r.ok()) << r.status();
      superseded += r->superseded;
      applied += r->applied;
      conflicts_seen += r->conflicts;
    }
  }
  EXPECT_EQ(superseded, 1u);
  EXPECT_EQ(applied, 1u);
  EXPECT_EQ(conflicts_seen, 2u);
  EXPECT_EQ(FindAttribute(**dst_->store->GetItem("t", Key("a", 1)), "v")->s(), "local");
  EXPECT_EQ(FindAttribute(**dst_->store->GetItem("t", Key("b", 1)), "v")->s(), "remote-new");

  // Both keys saw concurrent writes: "a" lost the remote write, "b" the local one.
  std::vector<ConflictRecord> conflicts = dst_->store->RecentConflicts();
  ASSERT_EQ(conflicts.size(), 2u);
  std::map<std::string, ConflictRecord> by_key;
  for (const ConflictRecord& c : conflicts) by_key[c.key] = c;
  const ConflictRecord& a = by_key["pk=\"a\" sk=1"];
  EXPECT_EQ(a.table, "t");
  EXPECT_EQ(a.winner, local_a->version);
  EXPECT_EQ(a.loser_region, 2u);
  EXPECT_LT(a.loser, a.winner);
  EXPECT_FALSE(a.local_write_lost);
  const ConflictRecord& b = by_key["pk=\"b\" sk=1"];
  EXPECT_EQ(b.loser, local_b->version);
  EXPECT_EQ(b.loser_region, 1u);
  EXPECT_TRUE(b.local_write_lost);
  EXPECT_GT(b.winner, b.loser);
  EXPECT_EQ(dst_->store->stats().conflicts, 2u);
}

// A write that replaced another at its origin is no conflict anywhere, whatever the order the
// two arrive in; two writes that did not see each other are one, wherever they meet.
TEST_F(ApplyTest, CausalOverwritesAreNotConflicts) {
  Region third(dir_, 3, &wall_);
  for (const auto& b : AllBatches(*src_->store, 2, 100)) {
    ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
    ASSERT_TRUE(third.store->ApplyBatch(b).ok());
  }
  const uint32_t p = PartitionOf("t", S("k"), 4);
  // Region 2 writes k; region 1 receives it and overwrites it.
  ASSERT_TRUE(Put(src_->store.get(), "k", 1, "first").ok());
  proto::MutationBatch first = Batches(*src_->store, 2, p, 100, 2)[0];
  ASSERT_TRUE(dst_->store->ApplyBatch(first).ok());
  wall_.Advance(1);
  absl::StatusOr<WriteResult> second = Put(dst_->store.get(), "k", 1, "second");
  ASSERT_TRUE(second.ok());
  proto::MutationBatch from1 = Batches(*dst_->store, 1, p, 100)[0];
  EXPECT_EQ(from1.mutations(0).prev_hlc(), first.mutations(0).hlc());
  EXPECT_EQ(from1.mutations(0).prev_region(), 2u);

  // Region 3 gets the overwrite first, then the write it replaced: superseded, no conflict.
  absl::StatusOr<ApplyResult> r = third.store->ApplyBatch(from1);
  ASSERT_TRUE(r.ok()) << r.status();
  r = third.store->ApplyBatch(first);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->superseded, 1u);
  EXPECT_EQ(r->conflicts, 0u);
  // Region 2 gets the overwrite of its own write: applied, no conflict.
  r = src_->store->ApplyBatch(from1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->applied, 1u);
  EXPECT_EQ(third.store->stats().conflicts, 0u);
  EXPECT_EQ(src_->store->stats().conflicts, 0u);
  EXPECT_EQ(dst_->store->stats().conflicts, 0u);
  EXPECT_EQ(DigestOf(*third.store), DigestOf(*src_->store));
  EXPECT_EQ(DigestOf(*dst_->store), DigestOf(*src_->store));
}

// Two regions deleting one item at once (Time to Live expiring it in every region, say) lose
// nothing: the item is gone either way, so it is not counted as a conflict. A delete racing a
// put still is.
TEST_F(ApplyTest, ConcurrentDeletesAreNotConflicts) {
  for (const auto& b : AllBatches(*src_->store, 2, 100)) {
    ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
  }
  ASSERT_TRUE(Put(src_->store.get(), "a", 1, "v").ok());
  ASSERT_TRUE(Put(src_->store.get(), "b", 1, "v").ok());
  std::map<uint32_t, uint64_t> shipped;
  auto ship = [&] {
    uint64_t conflicts = 0;
    for (uint32_t p = 0; p < 4; ++p) {
      for (const auto& b : Batches(*src_->store, 2, p, 100, shipped[p] + 1)) {
        absl::StatusOr<ApplyResult> r = dst_->store->ApplyBatch(b);
        EXPECT_TRUE(r.ok()) << r.status();
        if (r.ok()) conflicts += r->conflicts;
        shipped[p] = b.last_sequence();
      }
    }
    return conflicts;
  };
  for (uint32_t p = 0; p < 4; ++p) shipped[p] = 1;  // the table's creation
  EXPECT_EQ(ship(), 0u);

  // Both regions delete "a" without having seen the other's delete; region 1 also deletes "b"
  // while region 2 rewrites it.
  ASSERT_TRUE(Del(dst_->store.get(), "a", 1).ok());
  ASSERT_TRUE(Del(dst_->store.get(), "b", 1).ok());
  wall_.Advance(10);
  ASSERT_TRUE(Del(src_->store.get(), "a", 1).ok());
  ASSERT_TRUE(Put(src_->store.get(), "b", 1, "again").ok());
  EXPECT_EQ(ship(), 1u) << "only b's delete lost to a concurrent write";
  ASSERT_EQ(dst_->store->RecentConflicts().size(), 1u);
  EXPECT_EQ(dst_->store->RecentConflicts()[0].key, "pk=\"b\" sk=1");
  EXPECT_FALSE(dst_->store->GetItem("t", Key("a", 1))->has_value());
  EXPECT_EQ(FindAttribute(**dst_->store->GetItem("t", Key("b", 1)), "v")->s(), "again");
}

TEST_F(ApplyTest, ConflictLogIsBounded) {
  for (const auto& b : AllBatches(*src_->store, 2, 100))
    ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
  std::vector<uint64_t> from(4);
  for (uint32_t p = 0; p < 4; ++p) from[p] = src_->store->LastSequence(p) + 1;
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(Put(src_->store.get(), "k" + std::to_string(i), 1, "old").ok());
  wall_.Advance(5);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(Put(dst_->store.get(), "k" + std::to_string(i), 1, "new").ok());
  for (uint32_t p = 0; p < 4; ++p) {
    for (const auto& b : Batches(*src_->store, 2, p, 100, from[p])) {
      ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
    }
  }
  EXPECT_EQ(dst_->store->stats().conflicts, 20u);
  std::vector<ConflictRecord> recent = dst_->store->RecentConflicts();
  ASSERT_EQ(recent.size(), 8u);  // conflict_log_capacity
  EXPECT_GE(recent.front().when, recent.back().when);
}

TEST_F(ApplyTest, GapsAndMalformedBatchesChangeNothing) {
  for (int i = 0; i < 60; ++i)
    ASSERT_TRUE(Put(src_->store.get(), "k" + std::to_string(i), i, "v").ok());
  const uint32_t p = PartitionOf("t", S("k1"), 4);
  std::string elsewhere = "e";
  while (PartitionOf("t", S(elsewhere), 4) == p) elsewhere += "e";
  std::vector<proto::MutationBatch> batches = Batches(*src_->store, 2, p, 2);
  ASSERT_GE(batches.size(), 3u);
  ASSERT_TRUE(dst_->store->ApplyBatch(batches[0]).ok());
  const std::string digest = DigestOf(*dst_->store);
  const uint64_t watermark = dst_->store->AppliedWatermark(2, p);
  auto unchanged = [&] {
    EXPECT_EQ(DigestOf(*dst_->store), digest);
    EXPECT_EQ(dst_->store->AppliedWatermark(2, p), watermark);
  };

  // A gap: batch 2 before batch 1.
  EXPECT_EQ(dst_->store->ApplyBatch(batches[2]).status().code(),
            absl::StatusCode::kFailedPrecondition);
  unchanged();

  const proto::MutationBatch good = batches[1];
  std::vector<std::pair<std::string, std::function<void(proto::MutationBatch*)>>> breakers = {
      {"own origin",
       [](proto::MutationBatch* b) {
         b->set_origin_region(1);
         for (auto& m : *b->mutable_mutations()) m.set_origin_region(1);
       }},
      {"origin 0", [](proto::MutationBatch* b) { b->set_origin_region(0); }},
      {"partition out of range", [](proto::MutationBatch* b) { b->set_partition(4); }},
      {"more partitions than a store can have",
       [](proto::MutationBatch* b) { b->set_origin_partitions(kMaxPartitions + 1); }},
      {"empty", [](proto::MutationBatch* b) { b->clear_mutations(); }},
      {"range mismatch",
       [](proto::MutationBatch* b) { b->set_last_sequence(b->last_sequence() + 1); }},
      {"sequence hole",
       [](proto::MutationBatch* b) {
         b->mutable_mutations(1)->set_sequence(b->mutations(1).sequence() + 1);
       }},
      {"mixed origin",
       [](proto::MutationBatch* b) { b->mutable_mutations(1)->set_origin_region(3); }},
      {"no hlc", [](proto::MutationBatch* b) { b->mutable_mutations(1)->set_hlc(0); }},
      {"hlc going back",
       [](proto::MutationBatch* b) {
         b->mutable_mutations(1)->set_hlc(b->mutations(0).hlc() - 1);
       }},
      {"heartbeat without partitions",
       [](proto::MutationBatch* b) {
         proto::Mutation* m = b->mutable_mutations(1);
         m->set_kind(proto::Mutation::HEARTBEAT);
         m->clear_table();
         m->clear_item();
       }},
      {"heartbeat with fewer partitions than its own",
       [&](proto::MutationBatch* b) {
         proto::Mutation* m = b->mutable_mutations(1);
         m->set_kind(proto::Mutation::HEARTBEAT);
         m->set_origin_partitions(p);
       }},
      {"unknown kind",
       [](proto::MutationBatch* b) {
         b->mutable_mutations(1)->set_kind(static_cast<proto::Mutation::Kind>(0));
       }},
      {"no item", [](proto::MutationBatch* b) { b->mutable_mutations(1)->clear_item(); }},
      {"wrong key type",
       [](proto::MutationBatch* b) {
         *b->mutable_mutations(1)->mutable_item() = MakeItem({{"pk", N("1")}, {"sk", N("1")}});
       }},
      {"missing sort key",
       [](proto::MutationBatch* b) {
         *b->mutable_mutations(1)->mutable_item() = MakeItem({{"pk", S("k1")}, {"v", S("x")}});
       }},
      {"item of another partition",
       [&](proto::MutationBatch* b) {
         *b->mutable_mutations(1)->mutable_item() =
             MakeItem({{"pk", S(elsewhere)}, {"sk", N("1")}, {"v", S("x")}});
       }},
      {"bad schema",
       [](proto::MutationBatch* b) {
         proto::Mutation* m = b->mutable_mutations(1);
         m->set_kind(proto::Mutation::CREATE_TABLE);
         *m->mutable_schema() = MakeSchema("other", proto::S);
       }},
  };
  for (const auto& [name, breaker] : breakers) {
    proto::MutationBatch bad = good;
    breaker(&bad);
    absl::StatusOr<ApplyResult> r = dst_->store->ApplyBatch(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << name << ": " << r.status();
    unchanged();
  }
  // The good batch still applies afterwards.
  ASSERT_TRUE(dst_->store->ApplyBatch(good).ok());
  EXPECT_NE(DigestOf(*dst_->store), digest);
}

TEST_F(ApplyTest, TimestampsBeyondMaxOffsetAreHeldBack) {
  for (const auto& b : AllBatches(*src_->store, 2, 100))
    ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
  const uint32_t p = PartitionOf("t", S("a"), 4);
  const uint64_t from = src_->store->LastSequence(p) + 1;
  wall_.Advance(2000);  // region 2 runs 2 s ahead ...
  ASSERT_TRUE(Put(src_->store.get(), "a", 1, "future").ok());
  wall_.Advance(-2000);  // ... of region 1
  const std::string digest = DigestOf(*dst_->store);
  const clock::Timestamp clock_before = dst_->clock.Current();
  proto::MutationBatch b = Batches(*src_->store, 2, p, 100, from)[0];
  EXPECT_EQ(dst_->store->ApplyBatch(b).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(DigestOf(*dst_->store), digest);
  EXPECT_EQ(dst_->clock.Current(), clock_before);
  EXPECT_EQ(dst_->store->AppliedWatermark(2, p), from - 1);
  wall_.Advance(2000);  // time catches up: the retry applies
  ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
  EXPECT_TRUE(dst_->store->GetItem("t", Key("a", 1))->has_value());
}

TEST_F(ApplyTest, TablesReplicateAndIncarnationsGateItems) {
  // Region 3 learns the table from region 2 and writes to it.
  Region third(dir_, 3, &wall_);
  for (const auto& b : AllBatches(*src_->store, 2, 100))
    ASSERT_TRUE(third.store->ApplyBatch(b).ok());
  ASSERT_TRUE(Put(third.store.get(), "x", 1, "from3").ok());
  const uint32_t px = PartitionOf("t", S("x"), 4);
  proto::MutationBatch from3 = Batches(*third.store, 3, px, 100)[0];

  // Region 3's item arrives at region 1 before region 2's CREATE_TABLE: held back.
  EXPECT_EQ(dst_->store->ApplyBatch(from3).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(dst_->store->AppliedWatermark(3, px), 0u);
  for (const auto& b : AllBatches(*src_->store, 2, 100))
    ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
  EXPECT_EQ(dst_->store->ListTables(), std::vector<std::string>{"t"});
  EXPECT_EQ(dst_->store->DescribeTable("t")->SerializeAsString(),
            src_->store->DescribeTable("t")->SerializeAsString());
  ASSERT_TRUE(dst_->store->ApplyBatch(from3).ok());
  EXPECT_TRUE(dst_->store->GetItem("t", Key("x", 1))->has_value());

  // An update, then a delete and a re-create in region 2.
  std::vector<uint64_t> from(4);
  for (uint32_t p = 0; p < 4; ++p) from[p] = src_->store->LastSequence(p) + 1;
  proto::TableSchema update = *src_->store->DescribeTable("t");
  update.set_billing_mode("PROVISIONED");
  ASSERT_TRUE(src_->store->UpdateTable(update).ok());
  for (uint32_t p = 0; p < 4; ++p) {
    for (const auto& b : Batches(*src_->store, 2, p, 100, from[p])) {
      ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
    }
    from[p] = src_->store->LastSequence(p) + 1;
  }
  EXPECT_EQ(dst_->store->DescribeTable("t")->billing_mode(), "PROVISIONED");
  EXPECT_TRUE(dst_->store->GetItem("t", Key("x", 1))->has_value()) << "an update keeps items";

  ASSERT_TRUE(src_->store->DeleteTable("t").ok());
  wall_.Advance(1);
  ASSERT_TRUE(src_->store->CreateTable(MakeSchema("t", proto::S, proto::N)).ok());
  for (uint32_t p = 0; p < 4; ++p) {
    for (const auto& b : Batches(*src_->store, 2, p, 100, from[p])) {
      ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
    }
  }
  EXPECT_EQ(dst_->store->DescribeTable("t")->created_hlc(),
            src_->store->DescribeTable("t")->created_hlc());
  EXPECT_FALSE(dst_->store->GetItem("t", Key("x", 1))->has_value())
      << "the old incarnation's items go";

  // A late item of the old incarnation is dropped as stale.
  ASSERT_TRUE(Put(third.store.get(), "x", 2, "late").ok());
  proto::MutationBatch late = Batches(*third.store, 3, px, 100, 2)[0];
  absl::StatusOr<ApplyResult> r = dst_->store->ApplyBatch(late);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stale_table, 1u);
  EXPECT_EQ(r->applied, 0u);
  EXPECT_EQ(dst_->store->AppliedWatermark(3, px), late.last_sequence());
  EXPECT_FALSE(dst_->store->GetItem("t", Key("x", 2))->has_value());
}

TEST_F(ApplyTest, TablesCreatedByApplyAndLocallyGetDistinctIds) {
  for (const auto& b : AllBatches(*src_->store, 2, 100))
    ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
  ASSERT_TRUE(Put(src_->store.get(), "a", 1, "remote").ok());
  for (uint32_t p = 0; p < 4; ++p) {
    for (const auto& b : Batches(*src_->store, 2, p, 100, 2)) {
      ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
    }
  }
  // A table created here after the remote one must not share its items.
  ASSERT_TRUE(dst_->store->CreateTable(MakeSchema("u", proto::S, proto::N)).ok());
  EXPECT_EQ(dst_->store->GetTableStats("u")->live_items, 0u);
  EXPECT_FALSE(dst_->store->GetItem("u", Key("a", 1))->has_value());
  absl::StatusOr<WriteResult> w =
      dst_->store->Write("u", Key("b", 1), [](const proto::Item*) -> absl::StatusOr<WriteDecision> {
        return WriteDecision::Put(Key("b", 1));
      });
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(DigestOf(*dst_->store), DigestOf(*src_->store));
  EXPECT_EQ(dst_->store->GetTableStats("t")->live_items, 1u);
  EXPECT_EQ(dst_->store->GetTableStats("u")->live_items, 1u);
}

TEST_F(ApplyTest, LocalDeleteTableMakesRemoteItemsStale) {
  for (const auto& b : AllBatches(*src_->store, 2, 1)) {
    if (b.mutations(0).kind() == proto::Mutation::CREATE_TABLE) {
      ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
    }
  }
  ASSERT_TRUE(dst_->store->DeleteTable("t").ok());
  ASSERT_TRUE(Put(src_->store.get(), "a", 1, "v").ok());
  const uint32_t p = PartitionOf("t", S("a"), 4);
  absl::StatusOr<ApplyResult> r = dst_->store->ApplyBatch(Batches(*src_->store, 2, p, 100, 2)[0]);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stale_table, 1u);
  EXPECT_TRUE(dst_->store->ListTables().empty());
}

// The property: three regions write concurrently (overlapping keys, puts and deletes); each of
// several fresh targets receives every region's batches in its own random order (respecting
// each stream's order, with duplicates, premature batches refused and retried, and gaps
// refused). All targets end with the same digest, and it is the digest of the newest version
// of every key.
TEST(ApplyPropertyTest, AnyArrivalOrderConverges) {
  TempDir dir;
  clock::ManualClock wall(kBase);
  std::mt19937_64 rng(20261124);
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<Region>> origins;
    for (clock::RegionId id : {2u, 3u, 4u})
      origins.push_back(std::make_unique<Region>(dir, id, &wall));
    ASSERT_TRUE(origins[0]->store->CreateTable(MakeSchema("t", proto::S, proto::N)).ok());
    for (int o = 1; o < 3; ++o) {
      for (const auto& b : AllBatches(*origins[0]->store, 2, 100)) {
        ASSERT_TRUE(origins[o]->store->ApplyBatch(b).ok());
      }
    }
    // Concurrent writes: regions do not see each other's writes.
    for (int i = 0; i < 150; ++i) {
      Region& r = *origins[rng() % 3];
      const std::string pk = "k" + std::to_string(rng() % 12);
      const int sk = static_cast<int>(rng() % 3);
      if (rng() % 4 == 0) {
        ASSERT_TRUE(Del(r.store.get(), pk, sk).ok());
      } else {
        ASSERT_TRUE(Put(r.store.get(), pk, sk, std::to_string(rng())).ok());
      }
      if (rng() % 3 == 0) wall.Advance(static_cast<int64_t>(rng() % 3));
    }
    // Streams: (origin, partition) -> batches in order, cut at random sizes.
    std::vector<std::vector<proto::MutationBatch>> streams;
    for (int o = 0; o < 3; ++o) {
      for (uint32_t p = 0; p < 4; ++p) {
        streams.push_back(Batches(*origins[o]->store, 2 + o, p, 1 + rng() % 6));
        // Region 3's and 4's logs start with nothing: the table came to them by apply.
      }
    }
    std::string want;
    for (int target = 0; target < 4; ++target) {
      Region dst(dir, 1, &wall);
      std::vector<size_t> next(streams.size(), 0);
      size_t remaining = 0;
      for (const auto& s : streams) remaining += s.size();
      int guard = 0;
      while (remaining > 0) {
        ASSERT_LT(++guard, 100000);
        const size_t s = rng() % streams.size();
        if (next[s] >= streams[s].size()) continue;
        const int action = static_cast<int>(rng() % 10);
        if (action == 0 && next[s] > 0) {  // a duplicate of an applied batch
          absl::StatusOr<ApplyResult> r = dst.store->ApplyBatch(streams[s][rng() % next[s]]);
          ASSERT_TRUE(r.ok()) << r.status();
          EXPECT_EQ(r->applied, 0u);
          continue;
        }
        if (action == 1 && next[s] + 1 < streams[s].size()) {  // a gap: refused, no change
          const std::string before = DigestOf(*dst.store);
          EXPECT_EQ(dst.store->ApplyBatch(streams[s][next[s] + 1]).status().code(),
                    absl::StatusCode::kFailedPrecondition);
          EXPECT_EQ(DigestOf(*dst.store), before);
          continue;
        }
        absl::StatusOr<ApplyResult> r = dst.store->ApplyBatch(streams[s][next[s]]);
        if (!r.ok()) {
          // Only "the table is not created here yet" may refuse an in-order batch.
          ASSERT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
          continue;
        }
        ++next[s];
        --remaining;
      }
      const std::string got = DigestOf(*dst.store);
      if (target == 0) {
        want = got;
        EXPECT_NE(got.find("/"), std::string::npos) << got;
      }
      EXPECT_EQ(got, want) << "round " << round << " target " << target;
    }
    // Every origin converges too once it applies the others' streams.
    for (int o = 0; o < 3; ++o) {
      for (int other = 0; other < 3; ++other) {
        if (other == o) continue;
        for (uint32_t p = 0; p < 4; ++p) {
          const uint64_t from = origins[o]->store->AppliedWatermark(2 + other, p) + 1;
          for (const auto& b : Batches(*origins[other]->store, 2 + other, p, 50, from)) {
            ASSERT_TRUE(origins[o]->store->ApplyBatch(b).ok());
          }
        }
      }
    }
    for (int o = 0; o < 3; ++o) EXPECT_EQ(DigestOf(*origins[o]->store), want) << "origin " << o;
  }
}

// Heartbeats close idle partitions; ClosedHlc is the smallest last-applied hlc over every
// partition of the origin, unknown until each has been heard from; a tombstone below it (and
// past the grace period) can be purged, and the purge leaves the digest as it was.
TEST_F(ApplyTest, HeartbeatsCloseIdlePartitionsForThePurge) {
  const uint32_t pa = PartitionOf("t", S("a"), 4);
  ASSERT_TRUE(Put(src_->store.get(), "a", 1, "v").ok());
  ASSERT_TRUE(Put(src_->store.get(), "b", 1, "v").ok());
  absl::StatusOr<WriteResult> del = Del(src_->store.get(), "a", 1);
  ASSERT_TRUE(del.ok());
  absl::StatusOr<uint32_t> written = src_->store->WriteHeartbeats();
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, 4u) << "the first round after open closes every partition";
  wall_.Advance(5);
  ASSERT_TRUE(Put(src_->store.get(), "a", 2, "w").ok());  // partition pa is busy this round
  EXPECT_EQ(*src_->store->WriteHeartbeats(), 3u);
  EXPECT_EQ(*src_->store->WriteHeartbeats(), 4u) << "every partition idle since the last round";
  for (uint32_t p = 0; p < 4; ++p) {
    std::vector<proto::Mutation> log = *src_->store->ReadChangeLog(p, 1, 1000, 1 << 20);
    ASSERT_FALSE(log.empty());
    EXPECT_EQ(log.back().kind(), proto::Mutation::HEARTBEAT);
    EXPECT_EQ(log.back().origin_partitions(), 4u);
    for (size_t i = 1; i < log.size(); ++i) EXPECT_GT(log[i].hlc(), log[i - 1].hlc()) << p;
  }

  EXPECT_EQ(dst_->store->ClosedHlc(2), std::nullopt) << "nothing heard yet";
  std::vector<proto::MutationBatch> batches = AllBatches(*src_->store, 2, 1000);
  ASSERT_EQ(batches.size(), 4u);
  clock::Timestamp expected = UINT64_MAX;
  for (const proto::MutationBatch& b : batches) {
    expected = std::min(expected, b.mutations(b.mutations_size() - 1).hlc());
    if (b.partition() == pa) continue;
    ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
  }
  EXPECT_EQ(dst_->store->ClosedHlc(2), std::nullopt) << "partition " << pa << " not heard yet";
  for (const proto::MutationBatch& b : batches) {
    if (b.partition() == pa) {
      ASSERT_TRUE(dst_->store->ApplyBatch(b).ok());
    }
  }
  ASSERT_EQ(dst_->store->ClosedHlc(2), expected);
  EXPECT_GT(*dst_->store->ClosedHlc(2), del->version.hlc);
  EXPECT_EQ(dst_->store->ClosedHlc(3), std::nullopt) << "another origin";
  EXPECT_EQ(dst_->store->GetTableStats("t")->tombstones, 1u);
  EXPECT_EQ(dst_->store->GetTableStats("t")->live_items, 2u);

  const std::string digest = dst_->store->Digest("t")->digest;
  EXPECT_EQ(*dst_->store->PurgeTombstones(*dst_->store->ClosedHlc(2)), 0u) << "grace period";
  wall_.Advance(absl::ToInt64Milliseconds(dst_->options.tombstone_grace));
  EXPECT_EQ(*dst_->store->PurgeTombstones(del->version.hlc), 0u) << "not below the horizon";
  EXPECT_EQ(*dst_->store->PurgeTombstones(*dst_->store->ClosedHlc(2)), 1u);
  EXPECT_EQ(dst_->store->GetTableStats("t")->tombstones, 0u);
  EXPECT_EQ(dst_->store->Digest("t")->digest, digest) << "tombstones are not in the digest";

  // After a reopen nothing is known until every partition delivers again.
  dst_->Reopen();
  EXPECT_EQ(dst_->store->ClosedHlc(2), std::nullopt);
}

// Regions need not have the same number of partitions (a store keeps the number it was
// created with; the default changed from 16 to 1): a peer's batches of any of its partitions
// apply, and its heartbeats say how many it has.
TEST_F(ApplyTest, APeerWithMorePartitionsReplicatesInFull) {
  Region wide(dir_, 3, &wall_, /*partitions=*/16);
  Region narrow(dir_, 4, &wall_, /*partitions=*/1);
  ASSERT_TRUE(wide.store->CreateTable(MakeSchema("t", proto::S, proto::N)).ok());
  for (int i = 0; i < 64; ++i) {
    ASSERT_TRUE(Put(wide.store.get(), "k" + std::to_string(i), i, "v").ok());
  }
  ASSERT_TRUE(Del(wide.store.get(), "k3", 3).ok());
  ASSERT_EQ(*wide.store->WriteHeartbeats(), 16u);
  for (const proto::MutationBatch& b : AllBatches(*wide.store, 3, 100)) {
    absl::StatusOr<ApplyResult> r = narrow.store->ApplyBatch(b);
    ASSERT_TRUE(r.ok()) << "partition " << b.partition() << ": " << r.status();
  }
  EXPECT_EQ(DigestOf(*narrow.store), DigestOf(*wide.store));
  ASSERT_TRUE(narrow.store->ClosedHlc(3).has_value());
  // And the other way round.
  ASSERT_TRUE(Put(narrow.store.get(), "n", 1, "w").ok());
  for (const proto::MutationBatch& b : AllBatches(*narrow.store, 4, 100)) {
    ASSERT_TRUE(wide.store->ApplyBatch(b).ok());
  }
  EXPECT_EQ(DigestOf(*narrow.store), DigestOf(*wide.store));

  // A partition beyond any store's limit is still malformed.
  proto::MutationBatch beyond = AllBatches(*wide.store, 3, 100).back();
  beyond.set_partition(kMaxPartitions);
  EXPECT_EQ(narrow.store->ApplyBatch(beyond).status().code(), absl::StatusCode::kInvalidArgument);
}

// The operator's way past a record that cannot be applied: the watermark moves past it, the
// records after it apply, it survives a reopen, and it never moves backwards.
TEST_F(ApplyTest, SkipSequencesLetsLaterRecordsApply) {
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Put(src_->store.get(), "k", i, "v").ok());
  // The partition of "k": the one with the puts besides its CREATE_TABLE record.
  uint32_t p = 0;
  std::vector<proto::MutationBatch> batches;
  for (uint32_t q = 0; q < src_->store->num_partitions(); ++q) {
    std::vector<proto::MutationBatch> b = Batches(*src_->store, 2, q, 1);
    if (b.size() > batches.size()) {
      batches = std::move(b);
      p = q;
    }
  }
  ASSERT_GE(batches.size(), 4u);
  ASSERT_TRUE(dst_->store->ApplyBatch(batches[0]).ok());
  ASSERT_TRUE(dst_->store->ApplyBatch(batches[1]).ok());
  // batches[2] "cannot be applied": what follows is a gap.
  EXPECT_EQ(dst_->store->ApplyBatch(batches[3]).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const uint64_t through = batches[2].last_sequence();
  absl::StatusOr<uint64_t> before = dst_->store->SkipSequences(2, p, through);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(*before, batches[1].last_sequence());
  EXPECT_EQ(dst_->store->AppliedWatermark(2, p), through);
  absl::StatusOr<ApplyResult> r = dst_->store->ApplyBatch(batches[3]);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->applied, 1u);
  // Never backwards, never this region's own stream, never a partition out of range.
  EXPECT_EQ(dst_->store->SkipSequences(2, p, through).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(dst_->store->SkipSequences(1, p, 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dst_->store->SkipSequences(2, kMaxPartitions, 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Persisted with the watermark.
  const uint64_t w = dst_->store->AppliedWatermark(2, p);
  dst_->Reopen();
  EXPECT_EQ(dst_->store->AppliedWatermark(2, p), w);
}

}  // namespace
}  // namespace globaltable::storage
