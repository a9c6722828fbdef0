// TombstoneCollector on real stores (two regions on one manual wall clock; the change log of
// one is shipped to the other by hand, as replication would).
#include "daemon/tombstone_collector.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "storage/store_testing.h"

namespace globaltable::daemon {
namespace {

using storage::testing::MakeItem;
using storage::testing::MakeSchema;
using storage::testing::S;
using storage::testing::TempDir;

constexpr uint64_t kBase = 1'700'000'000'000;
constexpr absl::Duration kGrace = absl::Minutes(10);

struct Region {
  Region(const TempDir& dir, clock::RegionId id, clock::ManualClock* wall) : clock(wall) {
    storage::StoreOptions o;
    o.dir = dir.Sub("r" + std::to_string(id));
    o.region_id = id;
    o.region_name = "r" + std::to_string(id);
    o.num_partitions = 2;
    o.block_cache_bytes = 2 << 20;
    o.write_buffer_bytes = 1 << 20;
    o.tombstone_grace = kGrace;
    absl::StatusOr<std::unique_ptr<storage::Store>> s = storage::Store::Open(o, &clock);
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) store = std::move(*s);
  }
  clock::HybridClock clock;
  std::unique_ptr<storage::Store> store;
};

absl::Status Put(storage::Store* store, const std::string& pk) {
  proto::Item item = MakeItem({{"pk", S(pk)}, {"v", S("x")}});
  return store
      ->Write("t", MakeItem({{"pk", S(pk)}}),
              [&](const proto::Item*) -> absl::StatusOr<storage::WriteDecision> {
                return storage::WriteDecision::Put(item);
              })
      .status();
}

absl::StatusOr<storage::WriteResult> Delete(storage::Store* store, const std::string& pk) {
  return store->Write("t", MakeItem({{"pk", S(pk)}}),
                      [](const proto::Item*) -> absl::StatusOr<storage::WriteDecision> {
                        return storage::WriteDecision::Delete();
                      });
}

// Applies everything `from` has written since the last call to `to`, partition by partition.
void Ship(const storage::Store& from, clock::RegionId origin, storage::Store* to) {
  for (uint32_t p = 0; p < from.num_partitions(); ++p) {
    const uint64_t next = to->AppliedWatermark(origin, p) + 1;
    absl::StatusOr<std::vector<proto::Mutation>> log = from.ReadChangeLog(p, next, 10000, 1 << 24);
    ASSERT_TRUE(log.ok()) << log.status();
    if (log->empty()) continue;
    proto::MutationBatch b;
    b.set_origin_region(origin);
    b.set_origin_name("r" + std::to_string(origin));
    b.set_partition(p);
    b.set_origin_partitions(from.num_partitions());
    for (proto::Mutation& m : *log) *b.add_mutations() = std::move(m);
    b.set_first_sequence(b.mutations(0).sequence());
    b.set_last_sequence(b.mutations(b.mutations_size() - 1).sequence());
    absl::StatusOr<storage::ApplyResult> r = to->ApplyBatch(b);
    ASSERT_TRUE(r.ok()) << r.status();
  }
}

uint64_t Tombstones(const storage::Store& store) { return store.GetTableStats("t")->tombstones; }

class TombstoneCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(r1_.store->CreateTable(MakeSchema("t", proto::S)).ok());
    Ship(*r1_.store, 1, r2_.store.get());
  }
  TempDir dir_;
  clock::ManualClock wall_{kBase};
  Region r1_{dir_, 1, &wall_};
  Region r2_{dir_, 2, &wall_};
  Metrics metrics_{"r1"};
};

TEST_F(TombstoneCollectorTest, WithoutPeersOnlyTheGracePeriodHoldsTombstones) {
  TombstoneCollector c(r1_.store.get(), &r1_.clock, {}, &metrics_);
  ASSERT_TRUE(Put(r1_.store.get(), "a").ok());
  ASSERT_TRUE(Delete(r1_.store.get(), "a").ok());
  ASSERT_TRUE(c.Horizon().has_value()) << "the clock's now";
  EXPECT_EQ(*c.Purge(), 0u) << "inside the grace period";
  wall_.Advance(absl::ToInt64Milliseconds(kGrace));
  EXPECT_EQ(*c.Purge(), 1u);
  EXPECT_EQ(Tombstones(*r1_.store), 0u);
  EXPECT_EQ(metrics_.TombstonesPurged().Value(), 1);
  EXPECT_EQ(metrics_.TombstoneHorizonAge().Value(), 0);
}

TEST_F(TombstoneCollectorTest, ALoneRegionTrimsItsChangeLogAndWritesNoHeartbeats) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put(r1_.store.get(), "k" + std::to_string(i)).ok());
  auto records = [&] {
    size_t n = 0;
    for (uint32_t p = 0; p < r1_.store->num_partitions(); ++p) {
      n += r1_.store->ReadChangeLog(p, 1, 10000, 1 << 24)->size();
    }
    return n;
  };
  const uint64_t last0 = r1_.store->LastSequence(0), last1 = r1_.store->LastSequence(1);
  ASSERT_EQ(records(), 22u) << "20 puts and the table's creation in both partitions";

  TombstoneCollector keep(r1_.store.get(), &r1_.clock, {}, nullptr);  // replication configured
  ASSERT_TRUE(keep.Heartbeat().ok());
  ASSERT_TRUE(keep.TrimChangeLog().ok());
  EXPECT_EQ(records(), 22u) << "a publisher trims, not the collector; no heartbeats alone";

  TombstoneCollectorOptions alone;
  alone.trim_change_log = true;
  TombstoneCollector c(r1_.store.get(), &r1_.clock, alone, nullptr);
  ASSERT_TRUE(c.TrimChangeLog().ok());
  EXPECT_EQ(records(), 2u) << "each partition's last record stays";
  EXPECT_EQ(r1_.store->LastSequence(0), last0);
  EXPECT_EQ(r1_.store->LastSequence(1), last1);
  ASSERT_TRUE(Put(r1_.store.get(), "more").ok());
  ASSERT_TRUE(c.TrimChangeLog().ok());
  EXPECT_EQ(records(), 2u);
}

TEST_F(TombstoneCollectorTest, APeerHoldsTheHorizonUntilItHasClosedPastTheTombstone) {
  TombstoneCollectorOptions o1, o2;
  o1.peers = {2};
  o2.peers = {1};
  TombstoneCollector c1(r1_.store.get(), &r1_.clock, o1, &metrics_);
  TombstoneCollector c2(r2_.store.get(), &r2_.clock, o2, nullptr);
  ASSERT_TRUE(Put(r1_.store.get(), "live").ok());
  ASSERT_TRUE(Put(r1_.store.get(), "a").ok());
  ASSERT_TRUE(Put(r1_.store.get(), "b").ok());
  absl::StatusOr<storage::WriteResult> del_a = Delete(r1_.store.get(), "a");
  ASSERT_TRUE(del_a.ok());
  wall_.Advance(absl::ToInt64Milliseconds(kGrace));

  EXPECT_EQ(c1.Horizon(), std::nullopt) << "region 2 not heard from";
  EXPECT_EQ(metrics_.TombstoneHorizonAge().Value(), -1);
  EXPECT_EQ(*c1.Purge(), 0u) << "past the grace period, but region 2 could still send";
  EXPECT_EQ(Tombstones(*r1_.store), 1u);

  // Region 2 wrote nothing: its heartbeats close its partitions at its current time.
  ASSERT_TRUE(c2.Heartbeat().ok());
  Ship(*r2_.store, 2, r1_.store.get());
  ASSERT_TRUE(c1.Horizon().has_value());
  EXPECT_GT(*c1.Horizon(), del_a->version.hlc);
  EXPECT_EQ(metrics_.TombstoneHorizonAge().Value(), 0);

  // A delete after region 2's last heartbeat is above the horizon: kept, even past the grace.
  absl::StatusOr<storage::WriteResult> del_b = Delete(r1_.store.get(), "b");
  ASSERT_TRUE(del_b.ok());
  wall_.Advance(absl::ToInt64Milliseconds(kGrace));
  EXPECT_EQ(*c1.Purge(), 1u);
  EXPECT_EQ(Tombstones(*r1_.store), 1u) << "b's tombstone";
  EXPECT_EQ(metrics_.TombstoneHorizonAge().Value(), absl::ToDoubleSeconds(kGrace));

  // Region 2 gets both deletes (a purge does not touch the change log); its own purge waits
  // for region 1's first heartbeat, which says how many partitions region 1 has.
  Ship(*r1_.store, 1, r2_.store.get());
  EXPECT_EQ(Tombstones(*r2_.store), 2u);
  EXPECT_EQ(c2.Horizon(), std::nullopt);
  EXPECT_EQ(*c2.Purge(), 0u);
  ASSERT_TRUE(c1.Heartbeat().ok());
  Ship(*r1_.store, 1, r2_.store.get());
  ASSERT_TRUE(c2.Horizon().has_value());
  EXPECT_GT(*c2.Horizon(), del_b->version.hlc);
  EXPECT_EQ(*c2.Purge(), 2u);
  EXPECT_EQ(Tombstones(*r2_.store), 0u);

  // And region 1 purges b's once region 2 heartbeats again.
  ASSERT_TRUE(c2.Heartbeat().ok());
  Ship(*r2_.store, 2, r1_.store.get());
  EXPECT_EQ(*c1.Purge(), 1u);
  EXPECT_EQ(Tombstones(*r1_.store), 0u);
  EXPECT_EQ(metrics_.TombstonesPurged().Value(), 2);
  EXPECT_EQ(r1_.store->Digest("t")->digest, r2_.store->Digest("t")->digest);
}

}  // namespace
}  // namespace globaltable::daemon
