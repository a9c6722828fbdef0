// Scan and Query tests against real RocksDB: sort key order for N (negative and fractional), S
// and B keys, every sort key condition against a reference filter, both directions,
// pagination with exclusive start keys, parallel scan segments, tombstones skipped, and bad
// specs refused.
#include <algorithm>
#include <functional>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "storage/number.h"
#include "storage/store.h"
#include "storage/store_testing.h"

namespace globaltable::storage {
namespace {

using testing::B;
using testing::MakeItem;
using testing::MakeSchema;
using testing::N;
using testing::S;
using testing::TempDir;

class ScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.dir = dir_.Sub("db");
    o.num_partitions = 4;
    o.block_cache_bytes = 2 << 20;
    o.write_buffer_bytes = 1 << 20;
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(o, &clock_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void Put(const std::string& table, proto::Item item) {
    proto::Item key;
    for (const auto& a : item.attributes()) {
      if (a.name() == "pk" || a.name() == "sk") *key.add_attributes() = a;
    }
    absl::StatusOr<WriteResult> w =
        store_->Write(table, key, [&](const proto::Item*) -> absl::StatusOr<WriteDecision> {
          return WriteDecision::Put(item);
        });
    ASSERT_TRUE(w.ok()) << w.status();
  }
  void Delete(const std::string& table, const proto::Item& key) {
    ASSERT_TRUE(store_
                    ->Write(table, key,
                            [](const proto::Item*) -> absl::StatusOr<WriteDecision> {
                              return WriteDecision::Delete();
                            })
                    .ok());
  }
  // The sort keys (rendered) that a spec visits, in order; `limit` stops the visit early.
  absl::StatusOr<std::vector<std::string>> Visit(const ScanSpec& spec, size_t limit = SIZE_MAX,
                                                 proto::Item* last = nullptr) {
    std::vector<std::string> out;
    absl::Status s = store_->Scan(spec, [&](const proto::Item& item, size_t size) {
      EXPECT_EQ(size, ItemSize(item));
      const proto::AttributeValue* pk = FindAttribute(item, "pk");
      const proto::AttributeValue* sk = FindAttribute(item, "sk");
      std::string r = pk->has_s() ? pk->s() : pk->has_n() ? pk->n() : pk->b();
      if (sk != nullptr) r += "/" + (sk->has_n() ? sk->n() : sk->has_s() ? sk->s() : sk->b());
      out.push_back(r);
      if (last != nullptr) {
        last->Clear();
        for (const auto& a : item.attributes()) {
          if (a.name() == "pk" || a.name() == "sk") *last->add_attributes() = a;
        }
      }
      return out.size() < limit;
    });
    if (!s.ok()) return s;
    return out;
  }

  TempDir dir_;
  clock::ManualClock wall_{1'700'000'000'000};
  clock::HybridClock clock_{&wall_};
  std::unique_ptr<Store> store_;
};

const std::vector<std::string> kNumbers = {"-1E+10", "-10", "-1.5", "-0.001", "0",   "0.25",
                                           "1",      "1.5", "2",    "10",     "100", "1E+20"};

TEST_F(ScanTest, NumericSortKeysWithEveryCondition) {
  ASSERT_TRUE(store_->CreateTable(MakeSchema("t", proto::S, proto::N)).ok());
  std::vector<std::string> shuffled = kNumbers;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(3));
  for (const std::string& n : shuffled) {
    Put("t", MakeItem({{"pk", S("p")}, {"sk", N(n)}, {"v", S("x")}}));
    Put("t", MakeItem({{"pk", S("other")}, {"sk", N(n)}}));
  }
  std::vector<std::string> sorted;
  for (const std::string& n : kNumbers) sorted.push_back("p/" + *NormalizeNumber(n));

  ScanSpec spec;
  spec.table = "t";
  spec.partition_key = S("p");
  EXPECT_EQ(*Visit(spec), sorted);
  spec.forward = false;
  EXPECT_EQ(*Visit(spec), std::vector<std::string>(sorted.rbegin(), sorted.rend()));

  using Op = SortKeyCondition::Op;
  auto reference = [&](Op op, const std::string& a, const std::string& b) {
    std::vector<std::string> out;
    for (const std::string& n : kNumbers) {
      const int ca = CompareNumbers(*NormalizeNumber(n), *NormalizeNumber(a));
      const int cb = CompareNumbers(*NormalizeNumber(n), *NormalizeNumber(b));
      const bool keep = op == Op::kEq   ? ca == 0
                        : op == Op::kLt ? ca < 0
                        : op == Op::kLe ? ca <= 0
                        : op == Op::kGt ? ca > 0
                        : op == Op::kGe ? ca >= 0
                                        : ca >= 0 && cb <= 0;
      if (keep) out.push_back("p/" + *NormalizeNumber(n));
    }
    return out;
  };
  for (Op op : {Op::kEq, Op::kLt, Op::kLe, Op::kGt, Op::kGe, Op::kBetween}) {
    for (const char* a : {"-10", "0", "0.5", "1.50", "100", "-1E+11", "1E+21"}) {
      for (bool forward : {true, false}) {
        ScanSpec q;
        q.table = "t";
        q.partition_key = S("p");
        q.forward = forward;
        q.sort_key.op = op;
        q.sort_key.value = N(a);
        q.sort_key.value2 = N("100");
        if (op == Op::kBetween && CompareNumbers(*NormalizeNumber(a), "100") > 0) continue;
        std::vector<std::string> want = reference(op, a, "100");
        if (!forward) std::reverse(want.begin(), want.end());
        absl::StatusOr<std::vector<std::string>> got = Visit(q);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, want) << "op " << static_cast<int>(op) << " value " << a;
      }
    }
  }
}

TEST_F(ScanTest, BeginsWithOnStringAndBinarySortKeys) {
  ASSERT_TRUE(store_->CreateTable(MakeSchema("s", proto::S, proto::S)).ok());
  ASSERT_TRUE(store_->CreateTable(MakeSchema("b", proto::B, proto::B)).ok());
  for (const char* sk : {"a", "ab", "abc", "abd", "ac", "b", "ab\x7f", "ab\xc3\xa9"}) {
    Put("s", MakeItem({{"pk", S("p")}, {"sk", S(sk)}}));
  }
  for (const std::string& sk : {std::string("\x01"), std::string("\xff"), std::string("\xff\xff"),
                                std::string("\xff\x00", 2), std::string("\xfe\xff")}) {
    Put("b", MakeItem({{"pk", B("p")}, {"sk", B(sk)}}));
  }
  ScanSpec q;
  q.table = "s";
  q.partition_key = S("p");
  q.sort_key.op = SortKeyCondition::Op::kBeginsWith;
  q.sort_key.value = S("ab");
  EXPECT_EQ(*Visit(q),
            (std::vector<std::string>{"p/ab", "p/abc", "p/abd", "p/ab\x7f", "p/ab\xc3\xa9"}));
  q.forward = false;
  EXPECT_EQ(Visit(q)->front(), "p/ab\xc3\xa9");

  q = ScanSpec();
  q.table = "b";
  q.partition_key = B("p");
  q.sort_key.op = SortKeyCondition::Op::kBeginsWith;
  q.sort_key.value = B("\xff");
  EXPECT_EQ(*Visit(q),
            (std::vector<std::string>{"p/\xff", std::string("p/\xff\x00", 4), "p/\xff\xff"}));
}

TEST_F(ScanTest, PaginationSegmentsAndTombstones) {
  ASSERT_TRUE(store_->CreateTable(MakeSchema("t", proto::N, proto::S)).ok());
  std::set<std::string> all;
  for (int pk = 0; pk < 40; ++pk) {
    for (int sk = 0; sk < 3; ++sk) {
      Put("t", MakeItem({{"pk", N(std::to_string(pk))}, {"sk", S("s" + std::to_string(sk))}}));
      all.insert(std::to_string(pk) + "/s" + std::to_string(sk));
    }
  }
  for (int pk = 0; pk < 40; pk += 5) {
    Delete("t", MakeItem({{"pk", N(std::to_string(pk))}, {"sk", S("s1")}}));
    all.erase(std::to_string(pk) + "/s1");
  }
  ScanSpec scan;
  scan.table = "t";
  std::vector<std::string> full = *Visit(scan);
  EXPECT_EQ(std::set<std::string>(full.begin(), full.end()), all);
  EXPECT_EQ(full.size(), all.size());

  // Pages of 7 with LastEvaluatedKey as the next exclusive start key.
  std::vector<std::string> paged;
  proto::Item last;
  for (int guard = 0; guard < 100; ++guard) {
    std::vector<std::string> page = *Visit(scan, 7, &last);
    paged.insert(paged.end(), page.begin(), page.end());
    if (page.size() < 7) break;
    scan.exclusive_start_key = last;
  }
  EXPECT_EQ(paged, full);

  // Segments partition the table.
  for (uint32_t total : {1u, 3u, 8u}) {
    std::vector<std::string> joined;
    for (uint32_t seg = 0; seg < total; ++seg) {
      ScanSpec s;
      s.table = "t";
      s.segment = seg;
      s.total_segments = total;
      std::vector<std::string> part = *Visit(s);
      joined.insert(joined.end(), part.begin(), part.end());
    }
    EXPECT_EQ(joined, full) << total << " segments";
  }

  // Query pages backwards.
  ScanSpec q;
  q.table = "t";
  q.partition_key = N("10");
  q.forward = false;
  EXPECT_EQ(*Visit(q, 1, &last), std::vector<std::string>{"10/s2"});
  q.exclusive_start_key = last;
  EXPECT_EQ(*Visit(q), (std::vector<std::string>{"10/s0"}));  // s1 is a tombstone
}

TEST_F(ScanTest, LongScansReturnEveryItemIntact) {
  // About 1.5 MB of items: the scan's parse arena is reset several times on the way.
  ASSERT_TRUE(store_->CreateTable(MakeSchema("big", proto::S, proto::N)).ok());
  constexpr int kItems = 1500;
  for (int i = 0; i < kItems; ++i) {
    Put("big", MakeItem({{"pk", S("p")},
                         {"sk", N(std::to_string(i))},
                         {"v", S(std::string(1000, static_cast<char>('a' + i % 26)))}}));
  }
  ScanSpec spec;
  spec.table = "big";
  for (bool query : {false, true}) {
    if (query) spec.partition_key = S("p");
    int seen = 0;
    absl::Status s = store_->Scan(spec, [&](const proto::Item& item, size_t size) {
      EXPECT_EQ(size, ItemSize(item));
      const proto::AttributeValue* sk = FindAttribute(item, "sk");
      const proto::AttributeValue* v = FindAttribute(item, "v");
      EXPECT_NE(sk, nullptr);
      EXPECT_NE(v, nullptr);
      if (sk == nullptr || v == nullptr) return false;
      EXPECT_EQ(sk->n(), std::to_string(seen)) << "query=" << query;
      EXPECT_EQ(v->s(), std::string(1000, static_cast<char>('a' + seen % 26)));
      ++seen;
      return true;
    });
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(seen, kItems) << "query=" << query;
  }
}

TEST_F(ScanTest, BadSpecsAreRefused) {
  ASSERT_TRUE(store_->CreateTable(MakeSchema("t", proto::S, proto::N)).ok());
  ASSERT_TRUE(store_->CreateTable(MakeSchema("h", proto::S)).ok());
  using Op = SortKeyCondition::Op;
  auto code = [&](std::function<void(ScanSpec*)> edit) {
    ScanSpec s;
    s.table = "t";
    edit(&s);
    return store_->Scan(s, [](const proto::Item&, size_t) { return true; }).code();
  };
  EXPECT_EQ(code([](ScanSpec* s) { s->table = "nope"; }), absl::StatusCode::kNotFound);
  EXPECT_EQ(code([](ScanSpec* s) { s->total_segments = 0; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) {
              s->segment = 2;
              s->total_segments = 2;
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) { s->partition_key = N("1"); }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) { s->partition_key = S(""); }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) {
              s->partition_key = S("p");
              s->total_segments = 2;
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) {
              s->sort_key.op = Op::kEq;
              s->sort_key.value = N("1");
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) {
              s->partition_key = S("p");
              s->sort_key.op = Op::kEq;
              s->sort_key.value = S("1");
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) {
              s->partition_key = S("p");
              s->sort_key.op = Op::kBetween;
              s->sort_key.value = N("2");
              s->sort_key.value2 = N("1");
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) {
              s->partition_key = S("p");
              s->sort_key.op = Op::kBeginsWith;
              s->sort_key.value = N("1");
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) {
              s->partition_key = S("p");
              s->exclusive_start_key = MakeItem({{"pk", S("q")}, {"sk", N("1")}});
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) {
              s->exclusive_start_key = MakeItem({{"pk", S("q")}});
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](ScanSpec* s) {
              s->table = "h";
              s->partition_key = S("p");
              s->sort_key.op = Op::kEq;
              s->sort_key.value = N("1");
            }),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace globaltable::storage
