// Crash test: a child process (store_crash_writer) writes in a loop and reports each
// acknowledged write on a pipe; the test kills it with SIGKILL at a random moment, reopens the
// store, and checks that every acknowledged write is there and that the change log matches
// the items exactly. Several rounds on the same store. Real RocksDB in a temporary directory.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/store.h"
#include "storage/store_testing.h"
#include "storage/value.h"

namespace globaltable::storage {
namespace {

struct Acks {
  bool ready = false;
  std::map<std::string, std::string> puts;  // key -> value
  std::set<std::string> deletes;
  size_t count = 0;
};

void Parse(const std::string& line, Acks* acks) {
  std::istringstream in(line);
  std::string kind, key, value;
  in >> kind >> key >> value;
  if (kind == "ready") {
    acks->ready = true;
  } else if (kind == "P") {
    acks->puts[key] = value;
    ++acks->count;
  } else if (kind == "D") {
    acks->deletes.insert(key);
    ++acks->count;
  } else {
    ADD_FAILURE() << "unexpected line from the writer: " << line;
  }
}

// Runs one writer until it has acknowledged `kill_after` writes, kills it, and collects every
// acknowledgement it managed to send (including those still in the pipe).
void RunAndKill(const std::string& dir, int round, size_t kill_after, Acks* acks) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string round_arg = std::to_string(round);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(GT_CRASH_WRITER, GT_CRASH_WRITER, dir.c_str(), round_arg.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  std::string pending;
  bool killed = false;
  char buf[65536];
  for (;;) {
    if (!killed && acks->ready && acks->count >= kill_after) {
      ASSERT_EQ(kill(pid, SIGKILL), 0);
      killed = true;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, 60'000);  // a bound, not a pause: data wakes it at once
    if (ready <= 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close(fds[0]);
      FAIL() << "the writer went silent for 60 s";
    }
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;  // EOF: the writer is gone
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = pending.find('\n', start)) != std::string::npos) {
      Parse(pending.substr(start, nl - start), acks);
      start = nl + 1;
    }
    pending.erase(0, start);
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(killed) << "the writer exited by itself with status " << status;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
}

void Verify(const std::string& dir, const Acks& acks) {
  clock::HybridClock hlc(clock::SystemClock::Default());
  StoreOptions options;
  options.dir = dir;
  options.num_partitions = 4;
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(options, &hlc);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;

  auto key = [](const std::string& k) {
    proto::Item item;
    auto* a = item.add_attributes();
    a->set_name("pk");
    a->mutable_value()->set_s(k);
    return item;
  };
  for (const auto& [k, v] : acks.puts) {
    absl::StatusOr<std::optional<proto::Item>> got = store.GetItem("crash", key(k));
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value()) << "acknowledged put lost: " << k;
    EXPECT_EQ(FindAttribute(**got, "v")->s(), v) << k;
  }
  for (const std::string& k : acks.deletes) {
    absl::StatusOr<std::optional<proto::Item>> got = store.GetItem("crash", key(k));
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->has_value()) << "acknowledged delete lost: " << k;
  }

  // The change log: gap-free, and its newest record per key is exactly the stored item.
  std::map<std::string, proto::Mutation> newest;  // encoded partition key -> record
  clock::Timestamp max_hlc = 0;
  for (uint32_t p = 0; p < store.num_partitions(); ++p) {
    absl::StatusOr<std::vector<proto::Mutation>> log =
        store.ReadChangeLog(p, 1, SIZE_MAX, SIZE_MAX);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(log->size(), store.LastSequence(p)) << "partition " << p;
    for (size_t i = 0; i < log->size(); ++i) {
      const proto::Mutation& m = (*log)[i];
      ASSERT_EQ(m.sequence(), i + 1);
      if (i > 0) {
        EXPECT_GT(m.hlc(), (*log)[i - 1].hlc());
      }
      max_hlc = std::max(max_hlc, m.hlc());
      if (m.kind() == proto::Mutation::PUT || m.kind() == proto::Mutation::DELETE) {
        newest[FindAttribute(m.item(), "pk")->s()] = m;
      }
    }
  }
  EXPECT_GE(hlc.Current(), max_hlc) << "the clock bound was not restored";
  std::map<std::string, std::string> live;
  ScanSpec all;
  all.table = "crash";
  ASSERT_TRUE(store
                  .Scan(all,
                        [&](const proto::Item& item, size_t) {
                          live[FindAttribute(item, "pk")->s()] = item.SerializeAsString();
                          return true;
                        })
                  .ok());
  uint64_t tombstones = 0;
  for (const auto& [k, m] : newest) {
    if (m.kind() == proto::Mutation::PUT) {
      auto it = live.find(k);
      ASSERT_NE(it, live.end()) << "logged put without its item: " << k;
      EXPECT_EQ(it->second, m.item().SerializeAsString()) << k;
    } else {
      ++tombstones;
      EXPECT_EQ(live.count(k), 0u) << "logged delete but the item is live: " << k;
    }
  }
  for (const auto& [k, bytes] : live)
    EXPECT_TRUE(newest.count(k)) << "item without a record: " << k;
  absl::StatusOr<TableStats> stats = store.GetTableStats("crash");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->live_items, live.size());
  EXPECT_EQ(stats->tombstones, tombstones);
  // Exact because they were persisted with each commit, not recounted at open.
  EXPECT_EQ(store.stats().tables_counted_at_open, 0u);
}

TEST(StoreCrashTest, AcknowledgedWritesSurviveSigkill) {
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  const uint64_t seed = std::random_device()();
  std::mt19937_64 rng(seed);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  Acks acks;
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(::testing::Message() << "round " << round);
    // Sometimes right after the start, usually mid-stream.
    const size_t kill_after = rng() % 5 == 0 ? 0 : rng() % 4000;
    acks.ready = false;
    RunAndKill(db, round, kill_after, &acks);
    ASSERT_TRUE(acks.ready) << "the writer did not start";
    Verify(db, acks);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(acks.count, 0u);
}

}  // namespace
}  // namespace globaltable::storage
