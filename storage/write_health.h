// WriteHealth: whether the store can take writes now, and why not. Internal to storage/.
//
// RocksDB stops taking writes after a background error (a failed WAL append, memtable flush or
// MANIFEST write): from then on every write returns that error, without touching the files,
// until the error is cleared. For a full disk (ENOSPC) RocksDB clears it by itself: its
// SstFileManager polls the free space every 5 s and, once the largest memtable's size is free,
// flushes every memtable to new files (the WAL written when the disk filled may end in a torn
// record, so it is retired, not appended to) and takes writes again; DB::Resume() does the
// same on demand. An error RocksDB deems fatal is never cleared: only a restart helps.
//
// WriteHealth follows those events (the store's EventListener and every write's result), keeps
// the facts the daemon reports (writable or not, why, since when, refusals counted) and says
// when a refusal is worth an ERROR line (the first one, then at most one per interval).
//
//   WriteFault fault = ClassifyWriteError(status);          // pure
//   if (health.OnWriteFailed(fault, status.ToString(), absl::Now())) GT_LOG(ERROR) << ...;
//   health.OnWriteSucceeded();                              // a commit went through
//
// Thread-safety: all methods are thread-safe; OnWriteSucceeded is one relaxed atomic load on
// the commit path while writable.
#ifndef GLOBALTABLE_STORAGE_WRITE_HEALTH_H_
#define GLOBALTABLE_STORAGE_WRITE_HEALTH_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rocksdb/status.h"
#include "storage/store.h"

namespace globaltable::storage {

// What a failed RocksDB write means for the store.
enum class WriteFault {
  kNone,      // not an error
  kDiskFull,  // no space left (ENOSPC, or a space limit): writes resume once space is freed
  kFatal,     // RocksDB stopped for good (a fatal or unrecoverable background error): restart
  kOther,     // any other error (I/O, corruption, ...)
};

// Pure: the fault a RocksDB status stands for. A fatal severity wins over the code (a disk-full
// error that RocksDB escalated to fatal no longer recovers by itself).
WriteFault ClassifyWriteError(const rocksdb::Status& s);

// The error a caller gets for a write refused with `fault` (kDiskFull: kUnavailable, worded
// for the operator and retryable; kFatal and kOther: kInternal). `what` names the operation.
absl::Status WriteFaultStatus(WriteFault fault, absl::string_view what, absl::string_view detail);

class WriteHealth {
 public:
  explicit WriteHealth(absl::Duration log_interval = absl::Seconds(30))
      : log_interval_(log_interval) {}

  // A write failed (kDiskFull, kFatal: the store is read-only until recovered; kOther: an error
  // of that write alone, which changes nothing here). Returns true when this refusal should be
  // logged as an ERROR: the first of an episode, then at most one per log interval.
  bool OnWriteFailed(WriteFault fault, absl::string_view detail, absl::Time now);
  // RocksDB reported a background error (its listener): the store is read-only for kDiskFull
  // and kFatal. Returns true when it should be logged (as OnWriteFailed).
  bool OnBackgroundError(WriteFault fault, absl::string_view detail, absl::Time now);
  // RocksDB cleared its background error, or a write went through: writable again. Returns
  // true when this ends a read-only episode (worth one log line).
  bool OnRecovered();
  // A write went through. Cheap while writable (the commit path calls it after every commit).
  bool OnWriteSucceeded() {
    if (writable_.load(std::memory_order_relaxed)) return false;
    return OnRecovered();
  }

  bool writable() const { return writable_.load(std::memory_order_relaxed); }
  StorageHealth Get() const;
  // Refusals since the last ERROR line, for that line ("and N more since").
  uint64_t TakeUnlogged();

 private:
  bool MarkReadOnly(WriteFault fault, absl::string_view detail, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration log_interval_;
  std::atomic<bool> writable_{true};
  mutable absl::Mutex mu_;
  WriteFault fault_ ABSL_GUARDED_BY(mu_) = WriteFault::kNone;
  std::string detail_ ABSL_GUARDED_BY(mu_);
  absl::Time since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_logged_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t disk_full_errors_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t episodes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t unlogged_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_WRITE_HEALTH_H_
