// Tests for the hybrid logical clock: a table of events in the style of CockroachDB's
// hlc_test.go, a concurrency test, and a randomized three-node simulation.
#include "clock/hlc.h"

#include <algorithm>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace globaltable::clock {
namespace {

constexpr uint64_t kBase = 1'700'000'000'000;  // a realistic epoch millisecond

enum class Kind { kSend, kReceive };

struct Event {
  uint64_t wall;          // physical clock reading set before the event
  Kind kind;
  Timestamp input;        // remote timestamp for kReceive
  Timestamp expected;     // resulting timestamp; 0 means "rejected"
};

TEST(HybridClockTest, EventTable) {
  ManualClock wall(0);
  HybridClock clock(&wall);
  const Timestamp T = MakeTimestamp(kBase, 0);
  const std::vector<Event> events = {
      // Sends at increasing wall time take the wall time.
      {kBase, Kind::kSend, 0, MakeTimestamp(kBase, 0)},
      {kBase, Kind::kSend, 0, MakeTimestamp(kBase, 1)},
      {kBase + 1, Kind::kSend, 0, MakeTimestamp(kBase + 1, 0)},
      // Receive of an older remote timestamp: local clock wins, logical ticks.
      {kBase + 1, Kind::kReceive, T, MakeTimestamp(kBase + 1, 1)},
      // Receive of a newer remote timestamp within max offset: adopt remote, then tick.
      {kBase + 1, Kind::kReceive, MakeTimestamp(kBase + 100, 4), MakeTimestamp(kBase + 100, 5)},
      // Local send while the HLC is ahead of wall time: logical ticks on the HLC.
      {kBase + 2, Kind::kSend, 0, MakeTimestamp(kBase + 100, 6)},
      // Our physical clock jumps back: the HLC never goes back.
      {kBase - 5000, Kind::kSend, 0, MakeTimestamp(kBase + 100, 7)},
      {kBase - 5000, Kind::kReceive, MakeTimestamp(kBase - 4800, 0), MakeTimestamp(kBase + 100, 8)},
      // Wall clock catches up and passes the HLC: physical takes over again.
      {kBase + 200, Kind::kSend, 0, MakeTimestamp(kBase + 200, 0)},
      // Max offset boundary (500 ms): 499 and 500 accepted, 501 rejected and clock unchanged.
      {kBase + 300, Kind::kReceive, MakeTimestamp(kBase + 799, 0), MakeTimestamp(kBase + 799, 1)},
      {kBase + 300, Kind::kReceive, MakeTimestamp(kBase + 800, 0), MakeTimestamp(kBase + 800, 1)},
      {kBase + 300, Kind::kReceive, MakeTimestamp(kBase + 801, 0), 0},
      {kBase + 300, Kind::kSend, 0, MakeTimestamp(kBase + 800, 2)},
      // Remote with the same physical ms and a higher logical counter.
      {kBase + 800, Kind::kReceive, MakeTimestamp(kBase + 800, 9), MakeTimestamp(kBase + 800, 10)},
  };
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    wall.Set(e.wall);
    SCOPED_TRACE(testing::Message() << "event " << i);
    if (e.kind == Kind::kSend) {
      EXPECT_EQ(clock.Now(), e.expected) << FormatTimestamp(clock.Current());
    } else {
      const Timestamp before = clock.Current();
      absl::StatusOr<Timestamp> got = clock.Update(e.input);
      if (e.expected == 0) {
        ASSERT_FALSE(got.ok());
        EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
        EXPECT_EQ(clock.Current(), before) << "a rejected update must not move the clock";
      } else {
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, e.expected) << FormatTimestamp(*got);
      }
    }
  }
  const ClockStats stats = clock.stats();
  EXPECT_EQ(stats.backward_jumps, 1u);  // only the first reading after the jump is lower
  EXPECT_EQ(stats.rejected_remote, 1u);
  EXPECT_EQ(stats.max_remote_offset_ms, 501);
}

TEST(HybridClockTest, ConfigurableMaxOffset) {
  ManualClock wall(kBase);
  HybridClock clock(&wall, HybridClock::Options{absl::Seconds(2)});
  EXPECT_TRUE(clock.Update(MakeTimestamp(kBase + 2000, 0)).ok());
  EXPECT_FALSE(clock.Update(MakeTimestamp(kBase + 2001, 0)).ok());
  EXPECT_EQ(clock.max_offset(), absl::Seconds(2));
}

TEST(HybridClockTest, RejectedUpdateMessageNamesTheOffset) {
  ManualClock wall(kBase);
  HybridClock clock(&wall);
  absl::StatusOr<Timestamp> got = clock.Update(MakeTimestamp(kBase + 10'000, 0));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("10000 ms ahead"), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("max offset is 500 ms"), std::string::npos);
}

TEST(HybridClockTest, LogicalOverflowCarriesIntoPhysical) {
  ManualClock wall(kBase);
  HybridClock clock(&wall);
  clock.Restore(MakeTimestamp(kBase, kLogicalMask - 1));
  EXPECT_EQ(clock.Now(), MakeTimestamp(kBase, kLogicalMask));
  const Timestamp carried = clock.Now();
  EXPECT_EQ(carried, MakeTimestamp(kBase + 1, 0));
  EXPECT_EQ(PhysicalMillis(carried), kBase + 1);
  EXPECT_EQ(Logical(carried), 0u);
  // A received timestamp at the logical maximum carries too.
  absl::StatusOr<Timestamp> got = clock.Update(MakeTimestamp(kBase + 3, kLogicalMask));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, MakeTimestamp(kBase + 4, 0));
}

TEST(HybridClockTest, RestoreNeverReissuesAfterClockSetBack) {
  ManualClock wall(kBase);
  Timestamp persisted;
  {
    HybridClock before(&wall);
    for (int i = 0; i < 10; ++i) before.Now();
    persisted = before.Current();
  }
  wall.Set(kBase - 60'000);  // restarted with the clock a minute behind
  HybridClock after(&wall);
  after.Restore(persisted);
  EXPECT_GT(after.Now(), persisted);
  after.Restore(0);  // never lowers
  EXPECT_GT(after.Current(), persisted);
}

TEST(HybridClockTest, ConcurrentNowIsStrictlyIncreasingAndUnique) {
  ManualClock wall(kBase);
  HybridClock clock(&wall);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::vector<Timestamp>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      seen[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        if (t == 0 && i % 1000 == 0) wall.Advance(1);
        seen[t].push_back(clock.Now());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<Timestamp> all;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 1; i < kPerThread; ++i) ASSERT_LT(seen[t][i - 1], seen[t][i]);
    all.insert(seen[t].begin(), seen[t].end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

// Three nodes with skewed manual clocks exchange messages in a random schedule. Every event
// records its timestamp and its causal predecessors; happened-before must imply timestamp order,
// and no HLC may run ahead of the largest physical clock by more than the allowed skew.
TEST(HybridClockTest, RandomizedThreeNodeSimulation) {
  std::mt19937_64 rng(20261124);
  constexpr int kNodes = 3;
  constexpr int64_t kMaxSkewMs = 200;  // below the 500 ms max offset: nothing is rejected
  for (int round = 0; round < 20; ++round) {
    std::vector<std::unique_ptr<ManualClock>> walls;
    std::vector<std::unique_ptr<HybridClock>> clocks;
    uint64_t true_time = kBase;
    std::vector<int64_t> skew(kNodes);
    for (int n = 0; n < kNodes; ++n) {
      skew[n] = static_cast<int64_t>(rng() % (2 * kMaxSkewMs + 1)) - kMaxSkewMs;
      walls.push_back(std::make_unique<ManualClock>(true_time + skew[n]));
      clocks.push_back(std::make_unique<HybridClock>(walls[n].get()));
    }
    struct Message {
      Timestamp ts;
      int from;
      size_t send_event;
    };
    std::vector<std::vector<Message>> inbox(kNodes);
    // Each event: its timestamp and the event index that causally precedes it on the same node.
    std::vector<Timestamp> event_ts;
    std::vector<std::pair<size_t, size_t>> happened_before;  // (earlier, later)
    std::vector<long> last_event(kNodes, -1);
    for (int step = 0; step < 2000; ++step) {
      true_time += rng() % 3;
      for (int n = 0; n < kNodes; ++n) {
        // Each physical clock drifts a little around its skew, sometimes backwards.
        const int64_t jitter = static_cast<int64_t>(rng() % 5) - 2;
        int64_t s = std::clamp<int64_t>(skew[n] + jitter, -kMaxSkewMs, kMaxSkewMs);
        skew[n] = s;
        walls[n]->Set(true_time + s);
      }
      const int n = static_cast<int>(rng() % kNodes);
      const bool receive = !inbox[n].empty() && rng() % 2 == 0;
      Timestamp ts;
      size_t from_event = 0;
      bool has_remote = false;
      if (receive) {
        const size_t pick = rng() % inbox[n].size();
        Message m = inbox[n][pick];
        inbox[n].erase(inbox[n].begin() + static_cast<long>(pick));
        absl::StatusOr<Timestamp> got = clocks[n]->Update(m.ts);
        ASSERT_TRUE(got.ok()) << got.status();
        ts = *got;
        from_event = m.send_event;
        has_remote = true;
      } else {
        ts = clocks[n]->Now();
      }
      const size_t id = event_ts.size();
      event_ts.push_back(ts);
      if (last_event[n] >= 0) happened_before.emplace_back(static_cast<size_t>(last_event[n]), id);
      if (has_remote) happened_before.emplace_back(from_event, id);
      last_event[n] = static_cast<long>(id);
      if (!receive) {
        const int to = static_cast<int>((n + 1 + rng() % (kNodes - 1)) % kNodes);
        inbox[to].push_back(Message{ts, n, id});
      }
      uint64_t max_wall = 0;
      for (int k = 0; k < kNodes; ++k) max_wall = std::max(max_wall, walls[k]->NowMillis());
      // The HLC's physical part never exceeds the largest physical clock it has seen; physical
      // clocks only move within kMaxSkewMs of true time, so that is the bound.
      ASSERT_LE(PhysicalMillis(ts), true_time + kMaxSkewMs);
      ASSERT_LE(PhysicalMillis(ts), max_wall + 2 * kMaxSkewMs);
    }
    for (const auto& [earlier, later] : happened_before) {
      ASSERT_LT(event_ts[earlier], event_ts[later]) << "round " << round;
    }
  }
}

TEST(TimestampTest, LayoutAndFormatting) {
  const Timestamp t = MakeTimestamp(1'700'000'000'123, 5);
  EXPECT_EQ(PhysicalMillis(t), 1'700'000'000'123u);
  EXPECT_EQ(Logical(t), 5u);
  EXPECT_LT(MakeTimestamp(1, kLogicalMask), MakeTimestamp(2, 0));
  EXPECT_EQ(FormatTimestamp(t), "2023-11-14T22:13:20.123Z+5");
}

}  // namespace
}  // namespace globaltable::clock
