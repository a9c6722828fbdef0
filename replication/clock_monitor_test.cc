// Table test of JudgeClock: which clock samples make a region refuse writes. The request/reply
// itself runs against real daemons in tests/replication/multi_region_test.py (test 6).
#include "replication/clock_monitor.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace globaltable::replication {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const absl::Duration kMax = absl::Milliseconds(500);
const absl::Duration kFresh = absl::Seconds(10);

std::optional<ClockSample> S(int64_t offset_ms, int64_t uncertainty_ms = 1,
                             absl::Duration age = absl::ZeroDuration()) {
  return ClockSample{offset_ms, uncertainty_ms, kNow - age};
}

TEST(JudgeClockTest, Table) {
  struct Case {
    const char* name;
    std::vector<std::optional<ClockSample>> samples;
    bool first_round_done;
    ClockState state;
    int answered;
    int ahead_of;
    int64_t lead_ms;
  } cases[] = {
      {"no peers at start", {}, false, ClockState::kUnknown, 0, 0, 0},
      {"nobody answered the first round", {std::nullopt, std::nullopt}, true,
       ClockState::kUnchecked, 0, 0, 0},
      {"before the first round", {std::nullopt, std::nullopt}, false, ClockState::kUnknown, 0, 0,
       0},
      {"all within the max offset", {S(-400), S(300)}, true, ClockState::kOk, 2, 0, 0},
      {"10 s ahead of both", {S(-10000), S(-10020, 3)}, true, ClockState::kAhead, 2, 2, 9999},
      // The uncertainty of a slow round trip can only make the region look less ahead.
      {"just beyond, but uncertain", {S(-600, 200), S(-600, 200)}, true, ClockState::kOk, 2, 0,
       0},
      {"just beyond, certain", {S(-600, 50), S(-600, 50)}, true, ClockState::kAhead, 2, 2, 550},
      // One peer's own clock is 10 s behind: the other vouches for ours.
      {"one peer skewed behind", {S(-10000), S(20)}, true, ClockState::kOk, 2, 1, 0},
      {"ahead of two of three", {S(-10000), S(-9000), S(0)}, true, ClockState::kAhead, 3, 2, 8999},
      // A single peer that answered: its word decides.
      {"one of two answered", {S(-10000), std::nullopt}, true, ClockState::kAhead, 1, 1, 9999},
      {"stale samples do not count", {S(-10000, 1, absl::Seconds(11)), S(0)}, true,
       ClockState::kOk, 1, 0, 0},
      {"only stale samples", {S(-10000, 1, absl::Seconds(11))}, true, ClockState::kUnchecked, 0,
       0, 0},
      // Peers ahead of us (our clock behind) do not stop writes: our writes then lose, which
      // last-writer-wins allows.
      {"behind everyone", {S(10000), S(10000)}, true, ClockState::kOk, 2, 0, 0},
  };
  for (const Case& c : cases) {
    ClockVerdict v = JudgeClock(c.samples, kNow, kMax, kFresh, c.first_round_done);
    EXPECT_EQ(v.state, c.state) << c.name;
    EXPECT_EQ(v.answered, c.answered) << c.name;
    EXPECT_EQ(v.ahead_of, c.ahead_of) << c.name;
    EXPECT_EQ(v.lead_ms, c.lead_ms) << c.name;
  }
}

}  // namespace
}  // namespace globaltable::replication
