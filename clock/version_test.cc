// Tests for the cross-region version order and its formatting.
#include "clock/version.h"

#include "gtest/gtest.h"

namespace globaltable::clock {
namespace {

TEST(VersionTest, OrdersByHlcThenRegion) {
  const Version a{MakeTimestamp(100, 0), 2};
  const Version b{MakeTimestamp(100, 0), 3};
  const Version c{MakeTimestamp(100, 1), 1};
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(a, c);
  EXPECT_GT(c, a);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, (Version{MakeTimestamp(100, 0), 2}));
  EXPECT_TRUE(Version{}.IsZero());
  EXPECT_LT(Version{}, a);
}

TEST(VersionTest, Formatting) {
  const Version v{MakeTimestamp(1'700'000'000'123, 5), 2};
  EXPECT_EQ(v.ToString(), "2023-11-14T22:13:20.123Z+5@r2");
  EXPECT_EQ(v.ToJson(),
            "{\"hlc\":" + std::to_string(v.hlc) +
                ",\"wall\":\"2023-11-14T22:13:20.123Z\",\"logical\":5,\"region\":2}");
}

}  // namespace
}  // namespace globaltable::clock
