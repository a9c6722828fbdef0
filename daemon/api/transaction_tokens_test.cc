// TransactionTokens with explicit times.
#include "daemon/api/transaction_tokens.h"

#include "gtest/gtest.h"

namespace globaltable::daemon::api {
namespace {

using Outcome = TransactionTokens::Outcome;
const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(TransactionTokensTest, ARepeatWithinTheWindowGetsTheFirstAnswer) {
  TransactionTokens tokens;
  std::string saved;
  EXPECT_EQ(tokens.Begin("t1", "items-a", kT0, &saved), Outcome::kNew);
  EXPECT_EQ(tokens.Begin("t1", "items-a", kT0, &saved), Outcome::kInProgress);
  EXPECT_EQ(tokens.Begin("t1", "items-b", kT0, &saved), Outcome::kMismatch);
  tokens.Finish("t1", std::string("{\"answer\":1}"), kT0);
  EXPECT_EQ(tokens.Begin("t1", "items-a", kT0 + absl::Minutes(9), &saved), Outcome::kReplay);
  EXPECT_EQ(saved, "{\"answer\":1}");
  EXPECT_EQ(tokens.Begin("t1", "items-b", kT0 + absl::Minutes(9), &saved), Outcome::kMismatch);
  // Ten minutes after it completed, the token is new again.
  EXPECT_EQ(tokens.Begin("t1", "items-b", kT0 + absl::Minutes(10), &saved), Outcome::kNew);
}

TEST(TransactionTokensTest, AFailedCallKeepsNoToken) {
  TransactionTokens tokens;
  std::string saved;
  EXPECT_EQ(tokens.Begin("t", "x", kT0, &saved), Outcome::kNew);
  tokens.Finish("t", std::nullopt, kT0);
  EXPECT_EQ(tokens.size(), 0u);
  EXPECT_EQ(tokens.Begin("t", "y", kT0, &saved), Outcome::kNew);
}

TEST(TransactionTokensTest, TheOldestCompletedTokensGoFirstWhenFull) {
  TransactionTokens tokens(absl::Minutes(10), /*max_tokens=*/2);
  std::string saved;
  for (const char* t : {"a", "b", "c"}) {
    ASSERT_EQ(tokens.Begin(t, "x", kT0, &saved), Outcome::kNew);
    tokens.Finish(t, std::string("{}"), kT0);
  }
  EXPECT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens.Begin("a", "x", kT0, &saved), Outcome::kNew) << "evicted";
  EXPECT_EQ(tokens.Begin("c", "x", kT0, &saved), Outcome::kReplay);
}

}  // namespace
}  // namespace globaltable::daemon::api
