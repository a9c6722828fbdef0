// TtlExpirer on a real store in a temporary directory, with explicit pass times.
#include "daemon/ttl_expirer.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "storage/store_testing.h"

namespace globaltable::daemon {
namespace {

using storage::testing::MakeItem;
using storage::testing::MakeSchema;
using storage::testing::N;
using storage::testing::S;
using storage::testing::TempDir;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::string Epoch(absl::Time t) { return std::to_string(absl::ToUnixSeconds(t)); }

TEST(TtlExpiredTest, FollowsDynamoDBsRules) {
  const proto::AttributeValue past = N(Epoch(kNow - absl::Seconds(1)));
  const proto::AttributeValue now = N(Epoch(kNow));
  const proto::AttributeValue future = N(Epoch(kNow + absl::Seconds(1)));
  const proto::AttributeValue fraction = N(Epoch(kNow - absl::Seconds(1)) + ".5");
  const proto::AttributeValue ancient = N(Epoch(kNow - absl::Hours(24 * 366 * 5)));
  const proto::AttributeValue text = S(Epoch(kNow - absl::Seconds(1)));
  EXPECT_TRUE(TtlExpired(&past, kNow));
  EXPECT_TRUE(TtlExpired(&now, kNow));
  EXPECT_TRUE(TtlExpired(&fraction, kNow));
  EXPECT_FALSE(TtlExpired(&future, kNow));
  EXPECT_FALSE(TtlExpired(&ancient, kNow)) << "more than five years ago: left alone";
  EXPECT_FALSE(TtlExpired(&text, kNow)) << "only Numbers are expiry times";
  EXPECT_FALSE(TtlExpired(nullptr, kNow));
}

class TtlExpirerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions o;
    o.dir = dir_.Sub("db");
    o.region_id = 1;
    o.region_name = "r1";
    o.block_cache_bytes = 2 << 20;
    o.write_buffer_bytes = 1 << 20;
    absl::StatusOr<std::unique_ptr<storage::Store>> s = storage::Store::Open(o, &clock_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    for (const char* t : {"sessions", "plain"}) {
      ASSERT_TRUE(store_->CreateTable(MakeSchema(t, proto::S)).ok());
    }
    proto::TableSchema sessions = *store_->DescribeTable("sessions");
    sessions.set_ttl_attribute("expires");
    ASSERT_TRUE(store_->UpdateTable(sessions).ok());
  }

  void Put(const std::string& table, const std::string& pk,
           std::optional<proto::AttributeValue> expires) {
    proto::Item item = MakeItem({{"pk", S(pk)}, {"v", S("x")}});
    if (expires) storage::SetAttribute(&item, "expires", *expires);
    ASSERT_TRUE(store_
                    ->Write(table, MakeItem({{"pk", S(pk)}}),
                            [&](const proto::Item*) -> absl::StatusOr<storage::WriteDecision> {
                              return storage::WriteDecision::Put(item);
                            })
                    .ok());
  }
  bool Exists(const std::string& table, const std::string& pk) {
    absl::StatusOr<std::optional<proto::Item>> got =
        store_->GetItem(table, MakeItem({{"pk", S(pk)}}));
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() && got->has_value();
  }

  TempDir dir_;
  clock::ManualClock wall_{static_cast<uint64_t>(absl::ToUnixMillis(kNow))};
  clock::HybridClock clock_{&wall_};
  std::unique_ptr<storage::Store> store_;
  Metrics metrics_{"r1"};
};

TEST_F(TtlExpirerTest, DeletesExpiredItemsOfTablesWithTimeToLive) {
  Put("sessions", "old", N(Epoch(kNow - absl::Minutes(1))));
  Put("sessions", "soon", N(Epoch(kNow + absl::Minutes(5))));
  Put("sessions", "text", S(Epoch(kNow - absl::Minutes(1))));
  Put("sessions", "none", std::nullopt);
  Put("plain", "old", N(Epoch(kNow - absl::Minutes(1))));  // a table without TTL
  TtlExpirer ttl(store_.get(), nullptr, {}, &metrics_);

  absl::StatusOr<uint64_t> deleted = ttl.RunOnce(kNow);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 1u);
  EXPECT_FALSE(Exists("sessions", "old"));
  EXPECT_TRUE(Exists("sessions", "soon"));
  EXPECT_TRUE(Exists("sessions", "text"));
  EXPECT_TRUE(Exists("sessions", "none"));
  EXPECT_TRUE(Exists("plain", "old"));
  EXPECT_EQ(metrics_.TtlDeletedItems("sessions").Value(), 1);

  // The deletion is an ordinary delete of this region: it is in the change log, to replicate.
  std::vector<proto::Mutation> log = *store_->ReadChangeLog(0, 1, 1000, 1 << 20);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().kind(), proto::Mutation::DELETE);
  EXPECT_EQ(store_->GetTableStats("sessions")->tombstones, 1u);

  EXPECT_EQ(*ttl.RunOnce(kNow), 0u) << "nothing left to expire yet";
  EXPECT_EQ(*ttl.RunOnce(kNow + absl::Minutes(5)), 1u);
  EXPECT_FALSE(Exists("sessions", "soon"));

  // Turning TTL off stops it.
  Put("sessions", "later", N(Epoch(kNow)));
  proto::TableSchema sessions = *store_->DescribeTable("sessions");
  sessions.clear_ttl_attribute();
  ASSERT_TRUE(store_->UpdateTable(sessions).ok());
  EXPECT_EQ(*ttl.RunOnce(kNow + absl::Hours(1)), 0u);
  EXPECT_TRUE(Exists("sessions", "later"));
}

TEST_F(TtlExpirerTest, ARegionThatMayNotWriteLeavesExpiryToOthers) {
  Put("sessions", "old", N(Epoch(kNow - absl::Minutes(1))));
  absl::StatusOr<std::unique_ptr<RegionControl>> control =
      RegionControl::Create(store_.get(), nullptr, "r1");
  ASSERT_TRUE(control.ok()) << control.status();
  ASSERT_TRUE((*control)->SetMode(WriteMode::kFenced).ok());
  TtlExpirer ttl(store_.get(), control->get(), {}, nullptr);
  EXPECT_EQ(*ttl.RunOnce(kNow), 0u);
  EXPECT_TRUE(Exists("sessions", "old"));
  ASSERT_TRUE((*control)->SetMode(WriteMode::kActive).ok());
  EXPECT_EQ(*ttl.RunOnce(kNow), 1u);
  EXPECT_FALSE(Exists("sessions", "old"));
}

TEST_F(TtlExpirerTest, APassDeletesAtMostItsBoundPerTable) {
  for (int i = 0; i < 5; ++i) {
    Put("sessions", "k" + std::to_string(i), N(Epoch(kNow - absl::Seconds(i + 1))));
  }
  TtlExpirerOptions o;
  o.max_per_table_pass = 2;
  TtlExpirer ttl(store_.get(), nullptr, o, nullptr);
  EXPECT_EQ(*ttl.RunOnce(kNow), 2u);
  EXPECT_EQ(*ttl.RunOnce(kNow), 2u);
  EXPECT_EQ(*ttl.RunOnce(kNow), 1u);
  EXPECT_EQ(*ttl.RunOnce(kNow), 0u);
  EXPECT_EQ(store_->GetTableStats("sessions")->live_items, 0u);
}

}  // namespace
}  // namespace globaltable::daemon
