// Catalog tests: entry coding, the table-mutation LWW rules, and that any arrival order of a
// set of creates, updates and deletes ends in the same catalog state.
#include "storage/catalog.h"

#include <algorithm>
#include <random>

#include "gtest/gtest.h"
#include "storage/store_testing.h"

namespace globaltable::storage {
namespace {

proto::Mutation Upsert(proto::Mutation::Kind kind, uint64_t inc_hlc, uint32_t inc_region,
                       uint64_t hlc, uint32_t region, const std::string& billing = "") {
  proto::Mutation m;
  m.set_kind(kind);
  m.set_table("t");
  *m.mutable_schema() = testing::MakeSchema("t", proto::S);
  m.mutable_schema()->set_created_hlc(inc_hlc);
  m.mutable_schema()->set_created_region(inc_region);
  m.mutable_schema()->set_billing_mode(billing);
  m.set_table_created_hlc(inc_hlc);
  m.set_table_created_region(inc_region);
  m.set_hlc(hlc);
  m.set_origin_region(region);
  return m;
}
proto::Mutation Create(uint64_t hlc, uint32_t region) {
  return Upsert(proto::Mutation::CREATE_TABLE, hlc, region, hlc, region);
}
proto::Mutation Delete(uint64_t inc_hlc, uint32_t inc_region, uint64_t hlc, uint32_t region) {
  proto::Mutation m;
  m.set_kind(proto::Mutation::DELETE_TABLE);
  m.set_table("t");
  m.set_table_created_hlc(inc_hlc);
  m.set_table_created_region(inc_region);
  m.set_hlc(hlc);
  m.set_origin_region(region);
  return m;
}

// Applies a decision the way the store does.
void Apply(std::optional<CatalogEntry>* stored, const proto::Mutation& m) {
  const TableDecision d = DecideTableMutation(stored->has_value() ? &**stored : nullptr, m);
  const clock::Version v{m.hlc(), m.origin_region()};
  switch (d) {
    case TableDecision::kInstall:
      *stored = CatalogEntry{};
      (*stored)->schema = m.schema();
      (*stored)->incarnation = IncarnationOf(m.schema());
      (*stored)->version = v;
      break;
    case TableDecision::kUpdate:
      (*stored)->schema = m.schema();
      (*stored)->version = v;
      break;
    case TableDecision::kDelete:
      if (!stored->has_value()) *stored = CatalogEntry{};
      (*stored)->deleted = true;
      (*stored)->version = v;
      (*stored)->incarnation = {m.table_created_hlc(), m.table_created_region()};
      break;
    case TableDecision::kStale:
      break;
  }
}

TEST(CatalogTest, EntryRoundTrip) {
  CatalogEntry e;
  e.table_id = 77;
  e.deleted = true;
  e.incarnation = {123, 2};
  e.version = {456, 3};
  e.schema = testing::MakeSchema("orders", proto::S, proto::N);
  absl::StatusOr<CatalogEntry> d = DecodeCatalogEntry(EncodeCatalogEntry(e));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->table_id, 77u);
  EXPECT_TRUE(d->deleted);
  EXPECT_EQ(d->incarnation, e.incarnation);
  EXPECT_EQ(d->version, e.version);
  EXPECT_EQ(d->schema.SerializeAsString(), e.schema.SerializeAsString());
  EXPECT_EQ(DecodeCatalogEntry("x").status().code(), absl::StatusCode::kDataLoss);
}

TEST(CatalogTest, DecisionTable) {
  CatalogEntry live;
  live.incarnation = {100, 1};
  live.version = {150, 2};
  CatalogEntry marker;
  marker.deleted = true;
  marker.incarnation = {100, 1};
  marker.version = {200, 1};
  struct Case {
    const CatalogEntry* stored;
    proto::Mutation m;
    TableDecision want;
  };
  const std::vector<Case> cases = {
      {nullptr, Create(100, 1), TableDecision::kInstall},
      {&live, Create(100, 1), TableDecision::kStale},    // duplicate create
      {&live, Create(90, 3), TableDecision::kStale},     // older concurrent create
      {&live, Create(110, 3), TableDecision::kInstall},  // newer incarnation wins
      {&live, Upsert(proto::Mutation::UPDATE_TABLE, 100, 1, 160, 1), TableDecision::kUpdate},
      {&live, Upsert(proto::Mutation::UPDATE_TABLE, 100, 1, 140, 1), TableDecision::kStale},
      {&live, Upsert(proto::Mutation::UPDATE_TABLE, 100, 1, 150, 2), TableDecision::kStale},
      {nullptr, Upsert(proto::Mutation::UPDATE_TABLE, 100, 1, 160, 1), TableDecision::kInstall},
      {&live, Delete(100, 1, 120, 1), TableDecision::kDelete},
      {&live, Delete(50, 1, 90, 1), TableDecision::kStale},       // deletes an older incarnation
      {nullptr, Delete(100, 1, 120, 1), TableDecision::kDelete},  // marker before the create
      {&marker, Create(100, 1), TableDecision::kStale},           // create arriving after delete
      {&marker, Upsert(proto::Mutation::UPDATE_TABLE, 100, 1, 300, 2), TableDecision::kStale},
      {&marker, Create(250, 2), TableDecision::kInstall},         // re-created later
      {&marker, Delete(100, 1, 200, 1), TableDecision::kStale},   // duplicate delete
      {&marker, Delete(100, 1, 210, 2), TableDecision::kDelete},  // concurrent newer delete
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(DecideTableMutation(cases[i].stored, cases[i].m), cases[i].want) << "case " << i;
  }
}

TEST(CatalogTest, AnyOrderConverges) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 300; ++round) {
    // A few incarnations from three regions with updates and deletes at increasing times.
    std::vector<proto::Mutation> events;
    const int n = 2 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      const uint64_t inc = 100 + rng() % 50;
      const uint32_t r = 1 + rng() % 3;
      events.push_back(Create(inc, r));
      if (rng() % 2) {
        events.push_back(Upsert(proto::Mutation::UPDATE_TABLE, inc, r, inc + 1 + rng() % 40,
                                1 + rng() % 3, "b" + std::to_string(rng() % 5)));
      }
      if (rng() % 3 == 0) events.push_back(Delete(inc, r, inc + 1 + rng() % 60, 1 + rng() % 3));
    }
    std::optional<std::string> want;
    for (int perm = 0; perm < 8; ++perm) {
      std::shuffle(events.begin(), events.end(), rng);
      std::optional<CatalogEntry> stored;
      for (const auto& m : events) Apply(&stored, m);
      // Duplicates change nothing.
      for (const auto& m : events) Apply(&stored, m);
      ASSERT_TRUE(stored.has_value());
      const std::string state =
          std::to_string(stored->deleted) + stored->incarnation.ToString() +
          (stored->deleted ? stored->version.ToString() : stored->schema.SerializeAsString());
      if (!want.has_value()) want = state;
      EXPECT_EQ(state, *want) << "round " << round;
    }
  }
}

TEST(CatalogTest, InMemoryCatalogTracksLiveIds) {
  Catalog catalog;
  CatalogEntry e;
  e.table_id = 1;
  e.schema = testing::MakeSchema("b", proto::S);
  catalog.Put(e);
  e.table_id = 2;
  e.schema = testing::MakeSchema("a", proto::S);
  catalog.Put(e);
  EXPECT_TRUE(catalog.IsLive(1));
  ASSERT_EQ(catalog.Live().size(), 2u);
  EXPECT_EQ(catalog.Live()[0]->schema.name(), "a");
  e.deleted = true;
  catalog.Put(e);
  EXPECT_FALSE(catalog.IsLive(2));
  EXPECT_EQ(catalog.FindLive("a"), nullptr);
  EXPECT_NE(catalog.Find("a"), nullptr);
  e.deleted = false;
  e.table_id = 3;
  catalog.Put(e);
  EXPECT_TRUE(catalog.IsLive(3));
  EXPECT_FALSE(catalog.IsLive(2));
}

}  // namespace
}  // namespace globaltable::storage
