// Layout tests: integer coding order, prefix successors, and pinned hash values (the hash
// feeds partitions and digests, which must never change across releases).
#include "storage/layout.h"

#include <random>

#include "gtest/gtest.h"

namespace globaltable::storage::layout {
namespace {

TEST(LayoutTest, IntegersRoundTripAndSortNumerically) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t a = rng() >> (rng() % 64), b = rng() >> (rng() % 64);
    uint64_t da = 0;
    ASSERT_TRUE(DecodeU64(EncodeU64(a), &da));
    EXPECT_EQ(da, a);
    EXPECT_EQ(a < b, EncodeU64(a) < EncodeU64(b));
    const uint32_t c = static_cast<uint32_t>(a), d = static_cast<uint32_t>(b);
    EXPECT_EQ(c < d, EncodeU32(c) < EncodeU32(d));
  }
  uint32_t v = 0;
  EXPECT_FALSE(DecodeU32("abc", &v));
  EXPECT_LT(ChangeLogKey(1, UINT64_MAX), ChangeLogKey(2, 0));
  uint64_t seq = 0;
  EXPECT_TRUE(DecodeChangeLogSequence(ChangeLogKey(7, 0x0102030405060708), &seq));
  EXPECT_EQ(seq, 0x0102030405060708u);
  EXPECT_FALSE(DecodeChangeLogSequence(ChangeLogKey(7, 1) + "x", &seq));
  EXPECT_FALSE(DecodeChangeLogSequence(TablePrefix(7), &seq));
  EXPECT_LT(ItemKey(1, "\xff\xff"), TablePrefix(2));
}

TEST(LayoutTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff", 1)), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
  EXPECT_GT(PrefixSuccessor("abc"), std::string("abc\xff\xff"));
}

TEST(LayoutTest, HashIsPinned) {
  EXPECT_EQ(Hash64("", 0), Hash64("", 0));
  EXPECT_NE(Hash64("a", 0), Hash64("a", 1));
  EXPECT_NE(Hash64("ab", 0), Hash64("ba", 0));
  EXPECT_NE(Hash64(std::string(8, '\0'), 0), Hash64(std::string(9, '\0'), 0));
  EXPECT_EQ(Hash64("globaltable", 1), 13087608634231465224ULL);
  EXPECT_EQ(Hash64("a fairly long key that spans several words", 42), 9234135930272728774ULL);
}

}  // namespace
}  // namespace globaltable::storage::layout
