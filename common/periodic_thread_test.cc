// PeriodicThread: runs until stopped, and a stop does not wait for the interval.
#include "common/periodic_thread.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace globaltable {
namespace {

TEST(PeriodicThreadTest, StopDoesNotWaitForTheInterval) {
  std::atomic<int> runs{0};
  PeriodicThread t("gt-test", absl::Hours(1), [&] { ++runs; });
  t.Start();
  const absl::Time before = absl::Now();
  t.Stop();
  EXPECT_LT(absl::Now() - before, absl::Minutes(1));
  EXPECT_EQ(runs.load(), 0) << "the first run is one interval after Start";
  t.Stop();  // idempotent
}

TEST(PeriodicThreadTest, RunsEveryIntervalUntilStopped) {
  std::atomic<int> runs{0};
  absl::Notification third;
  PeriodicThread t("gt-test", absl::Milliseconds(1), [&] {
    if (++runs == 3) third.Notify();
  });
  t.Start();
  ASSERT_TRUE(third.WaitForNotificationWithTimeout(absl::Seconds(30)));
  t.Stop();
  const int after_stop = runs.load();
  EXPECT_GE(after_stop, 3);
  EXPECT_EQ(runs.load(), after_stop) << "nothing runs after Stop returns";
}

}  // namespace
}  // namespace globaltable
