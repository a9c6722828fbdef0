// WriteHealth tests: the classification of RocksDB statuses (a table), the error a caller gets,
// and the read-only episode as a table of events on a manual time line. No sleeps.
#include "storage/write_health.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace globaltable::storage {
namespace {

using Severity = rocksdb::Status::Severity;

TEST(ClassifyWriteErrorTest, Table) {
  const rocksdb::Status enospc =
      rocksdb::Status::NoSpace("While appending to file: /d/000012.log", "No space left on device");
  struct Case {
    const char* what;
    rocksdb::Status status;
    WriteFault want;
  };
  const std::vector<Case> cases = {
      {"ok", rocksdb::Status::OK(), WriteFault::kNone},
      {"ENOSPC from a write", enospc, WriteFault::kDiskFull},
      // What every write returns while RocksDB is stopped by the same error.
      {"ENOSPC as the background error", rocksdb::Status(enospc, Severity::kHardError),
       WriteFault::kDiskFull},
      {"ENOSPC, soft (compaction)", rocksdb::Status(enospc, Severity::kSoftError),
       WriteFault::kDiskFull},
      {"space limit", rocksdb::Status::SpaceLimit("max_allowed_space"), WriteFault::kDiskFull},
      // Escalated to fatal (e.g. the WAL buffer lost while switching memtables): no recovery.
      {"ENOSPC made fatal", rocksdb::Status(enospc, Severity::kFatalError), WriteFault::kFatal},
      {"unrecoverable",
       rocksdb::Status(rocksdb::Status::IOError("x"), Severity::kUnrecoverableError),
       WriteFault::kFatal},
      {"other I/O error", rocksdb::Status::IOError("EIO"), WriteFault::kOther},
      {"I/O error as the background error",
       rocksdb::Status(rocksdb::Status::IOError("EIO"), Severity::kHardError), WriteFault::kOther},
      {"corruption", rocksdb::Status::Corruption("bad block"), WriteFault::kOther},
      {"busy", rocksdb::Status::Busy(), WriteFault::kOther},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ClassifyWriteError(c.status), c.want) << c.what << ": " << c.status.ToString();
  }
}

TEST(WriteFaultStatusTest, DiskFullIsRetryableAndSaysSo) {
  absl::Status s = WriteFaultStatus(WriteFault::kDiskFull, "committing writes",
                                    "IO error: No space left on device");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("the disk is full"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("No space left on device"), absl::string_view::npos) << s;
  EXPECT_EQ(WriteFaultStatus(WriteFault::kFatal, "w", "d").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(WriteFaultStatus(WriteFault::kOther, "w", "d").code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(WriteFaultStatus(WriteFault::kNone, "w", "d").ok());
}

// One read-only episode and its log decisions, second by second.
TEST(WriteHealthTest, EpisodeTable) {
  enum Event { kWriteFailed, kBackground, kRecovered, kWriteOk };
  struct Step {
    int at_s;
    Event event;
    WriteFault fault;
    bool want_log;       // the call's return
    bool want_writable;  // after the call
    uint64_t want_disk_full_errors;
  };
  const std::vector<Step> steps = {
      {0, kWriteOk, WriteFault::kNone, false, true, 0},
      {1, kWriteFailed, WriteFault::kOther, false, true, 0},      // one write's error: its caller's
      {2, kBackground, WriteFault::kOther, false, true, 0},       // not a read-only fault
      {3, kWriteFailed, WriteFault::kDiskFull, true, false, 1},   // the episode starts: logged
      {3, kBackground, WriteFault::kDiskFull, false, false, 1},   // the same fault from RocksDB
      {4, kWriteFailed, WriteFault::kDiskFull, false, false, 2},  // rate-limited
      {20, kWriteFailed, WriteFault::kDiskFull, false, false, 3},
      {33, kWriteFailed, WriteFault::kDiskFull, true, false, 4},  // 30 s after the last line
      {34, kRecovered, WriteFault::kNone, true, true, 4},         // the episode ends: logged
      {35, kRecovered, WriteFault::kNone, false, true, 4},        // nothing to end
      {36, kBackground, WriteFault::kDiskFull, true, false, 4},   // a new episode: logged at once
      {37, kWriteOk, WriteFault::kNone, true, true, 4},           // a commit went through
      {38, kWriteFailed, WriteFault::kDiskFull, true, false, 5},
      {39, kBackground, WriteFault::kFatal, true, false, 5},  // escalated: logged at once
      {40, kRecovered, WriteFault::kNone, false, false, 5},   // fatal is never cleared
      {41, kWriteOk, WriteFault::kNone, false, false, 5},
  };
  WriteHealth health(absl::Seconds(30));
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const absl::Time now = t0 + absl::Seconds(s.at_s);
    bool logged = false;
    switch (s.event) {
      case kWriteFailed:
        logged = health.OnWriteFailed(s.fault, "No space left on device", now);
        break;
      case kBackground:
        logged = health.OnBackgroundError(s.fault, "No space left on device", now);
        break;
      case kRecovered:
        logged = health.OnRecovered();
        break;
      case kWriteOk:
        logged = health.OnWriteSucceeded();
        break;
    }
    const StorageHealth h = health.Get();
    EXPECT_EQ(logged, s.want_log) << "step " << i;
    EXPECT_EQ(h.writable, s.want_writable) << "step " << i;
    EXPECT_EQ(health.writable(), s.want_writable) << "step " << i;
    EXPECT_EQ(h.disk_full_errors, s.want_disk_full_errors) << "step " << i;
    EXPECT_EQ(h.reason.empty(), h.writable) << "step " << i << ": " << h.reason;
  }
  const StorageHealth h = health.Get();
  EXPECT_EQ(h.read_only_episodes, 3u);
  EXPECT_FALSE(h.disk_full);
  EXPECT_NE(h.reason.find("restart"), std::string::npos) << h.reason;
}

TEST(WriteHealthTest, ReasonAndSinceWhileDiskFull) {
  WriteHealth health;
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  EXPECT_TRUE(health.OnWriteFailed(WriteFault::kDiskFull, "IO error: No space left", t0));
  EXPECT_FALSE(health.OnWriteFailed(WriteFault::kDiskFull, "IO error: No space left",
                                    t0 + absl::Seconds(1)));
  EXPECT_FALSE(health.OnWriteFailed(WriteFault::kDiskFull, "IO error: No space left",
                                    t0 + absl::Seconds(2)));
  const StorageHealth h = health.Get();
  EXPECT_FALSE(h.writable);
  EXPECT_TRUE(h.disk_full);
  EXPECT_EQ(h.since, t0);
  EXPECT_NE(h.reason.find("the disk is full"), std::string::npos) << h.reason;
  EXPECT_NE(h.reason.find("IO error: No space left"), std::string::npos) << h.reason;
  EXPECT_EQ(health.TakeUnlogged(), 2u);
  EXPECT_EQ(health.TakeUnlogged(), 0u);
}

}  // namespace
}  // namespace globaltable::storage
