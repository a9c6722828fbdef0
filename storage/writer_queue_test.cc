// WriterQueue tests: outcomes per request and per group, exclusive requests, grouping, and
// gap-free assignment under many threads. No sleeps: waits are on queue state.
#include "storage/writer_queue.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace globaltable::storage {
namespace {

struct TestRequest : WriterQueue::Request {
  explicit TestRequest(int id, bool exclusive = false, bool reject = false)
      : WriterQueue::Request(exclusive), id(id), reject(reject) {}
  const int id;
  const bool reject;
  uint64_t assigned = 0;
  size_t group_size = 0;
};

TEST(WriterQueueTest, SingleRequestAndGroupFailure) {
  bool fail = false;
  WriterQueue queue([&](absl::Span<WriterQueue::Request* const> group) {
    return fail ? absl::InternalError("disk") : absl::OkStatus();
  });
  TestRequest a(1);
  EXPECT_TRUE(queue.Submit(&a).ok());
  fail = true;
  TestRequest b(2);
  EXPECT_EQ(queue.Submit(&b).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(queue.groups(), 2u);
}

TEST(WriterQueueTest, RejectionFailsOnlyThatRequest) {
  WriterQueue queue([&](absl::Span<WriterQueue::Request* const> group) {
    for (auto* r : group) {
      auto* t = static_cast<TestRequest*>(r);
      if (t->reject) t->Reject(absl::NotFoundError("gone"));
    }
    return absl::OkStatus();
  });
  TestRequest bad(1, false, true);
  EXPECT_EQ(queue.Submit(&bad).code(), absl::StatusCode::kNotFound);
  TestRequest good(2);
  EXPECT_TRUE(queue.Submit(&good).ok());
}

// Many threads: every request committed exactly once, sequences gap-free in queue order, one
// commit at a time, exclusive requests alone, and groups larger than one do form.
TEST(WriterQueueTest, ConcurrentSubmitters) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 2000;
  std::atomic<bool> in_commit{false};
  std::atomic<bool> overlap{false};
  std::atomic<bool> exclusive_shared{false};
  uint64_t next = 0;  // only touched inside the commit function
  size_t largest = 0;
  WriterQueue* queue_ptr = nullptr;
  WriterQueue queue([&](absl::Span<WriterQueue::Request* const> group) {
    if (in_commit.exchange(true)) overlap = true;
    // Let the first group wait until others have queued, so grouping is exercised
    // deterministically (a wait on queue state, not a sleep).
    if (next == 0) {
      while (queue_ptr->pending() < 4) std::this_thread::yield();
    }
    largest = std::max(largest, group.size());
    for (auto* r : group) {
      auto* t = static_cast<TestRequest*>(r);
      if (t->exclusive() && group.size() != 1) exclusive_shared = true;
      t->assigned = ++next;
      t->group_size = group.size();
    }
    in_commit = false;
    return absl::OkStatus();
  });
  queue_ptr = &queue;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        TestRequest r(i, /*exclusive=*/i % 100 == 0);
        ASSERT_TRUE(queue.Submit(&r).ok());
        got[t].push_back(r.assigned);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& v : got) {
    for (size_t i = 1; i < v.size(); ++i) EXPECT_LT(v[i - 1], v[i]);  // a thread's own order
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), uint64_t{kThreads * kPerThread});
  EXPECT_FALSE(overlap);
  EXPECT_FALSE(exclusive_shared);
  EXPECT_GT(largest, 1u);
  EXPECT_LT(queue.groups(), uint64_t{kThreads * kPerThread});
}

}  // namespace
}  // namespace globaltable::storage
