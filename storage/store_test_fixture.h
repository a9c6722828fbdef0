// The StoreTest fixture shared by the store's test files: a real store in a fresh temporary
// directory (4 partitions, small caches) on a manual clock, with helpers for the "orders" table
// (string partition key, numeric sort key).
// Thread-safety: a test fixture.
#ifndef GLOBALTABLE_STORAGE_STORE_TEST_FIXTURE_H_
#define GLOBALTABLE_STORAGE_STORE_TEST_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "clock/hlc.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "storage/store_testing.h"

namespace globaltable::storage::testing {

constexpr uint64_t kBase = 1'700'000'000'000;

class StoreTest : public ::testing::Test {
 protected:
  StoreOptions Options() const {
    StoreOptions o;
    o.dir = dir_.Sub("db");
    o.region_id = 1;
    o.region_name = "r1";
    o.num_partitions = 4;
    o.block_cache_bytes = 4 << 20;
    o.write_buffer_bytes = 1 << 20;
    return o;
  }
  void Open(const StoreOptions& o) {
    store_.reset();
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(o, &clock_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void Open() { Open(Options()); }
  void SetUp() override { Open(); }

  void CreateOrders() {
    ASSERT_TRUE(store_->CreateTable(MakeSchema("orders", proto::S, proto::N)).ok());
  }
  static proto::Item Key(const std::string& pk, const std::string& sk) {
    return MakeItem({{"pk", S(pk)}, {"sk", N(sk)}});
  }
  absl::StatusOr<WriteResult> Put(const std::string& table, const proto::Item& item,
                                  const proto::Item& key) {
    return store_->Write(table, key, [&](const proto::Item*) -> absl::StatusOr<WriteDecision> {
      return WriteDecision::Put(item);
    });
  }
  absl::StatusOr<WriteResult> PutOrder(const std::string& pk, const std::string& sk,
                                       const std::string& v) {
    return Put("orders", MakeItem({{"pk", S(pk)}, {"sk", N(sk)}, {"v", S(v)}}), Key(pk, sk));
  }
  absl::StatusOr<WriteResult> Delete(const std::string& table, const proto::Item& key) {
    return store_->Write(table, key, [](const proto::Item*) -> absl::StatusOr<WriteDecision> {
      return WriteDecision::Delete();
    });
  }
  std::vector<uint64_t> LastSequences() const {
    std::vector<uint64_t> out;
    for (uint32_t p = 0; p < store_->num_partitions(); ++p) out.push_back(store_->LastSequence(p));
    return out;
  }
  std::vector<proto::Mutation> Log(uint32_t p) {
    absl::StatusOr<std::vector<proto::Mutation>> log =
        store_->ReadChangeLog(p, 1, 1'000'000, 1 << 30);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *log : std::vector<proto::Mutation>{};
  }

  TempDir dir_;
  clock::ManualClock wall_{kBase};
  clock::HybridClock clock_{&wall_};
  std::unique_ptr<Store> store_;
};

}  // namespace globaltable::storage::testing

#endif  // GLOBALTABLE_STORAGE_STORE_TEST_FIXTURE_H_
