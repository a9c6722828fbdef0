// WriteHealth: the classification of failed writes and the read-only state. Thread-safe.
#include "storage/write_health.h"

#include "absl/strings/str_cat.h"

namespace globaltable::storage {

WriteFault ClassifyWriteError(const rocksdb::Status& s) {
  if (s.ok()) return WriteFault::kNone;
  if (s.severity() >= rocksdb::Status::Severity::kFatalError) return WriteFault::kFatal;
  if (s.IsNoSpace() || s.subcode() == rocksdb::Status::SubCode::kSpaceLimit) {
    return WriteFault::kDiskFull;
  }
  return WriteFault::kOther;
}

absl::Status WriteFaultStatus(WriteFault fault, absl::string_view what, absl::string_view detail) {
  switch (fault) {
    case WriteFault::kNone:
      return absl::OkStatus();
    case WriteFault::kDiskFull:
      return absl::UnavailableError(
          absl::StrCat(what,
                       ": the disk is full, the store refuses writes until space is freed and then "
                       "takes them again by itself (",
                       detail, ")"));
    case WriteFault::kFatal:
      return absl::InternalError(
          absl::StrCat(what,
                       ": the store stopped taking writes after an unrecoverable storage error; "
                       "restart the daemon (",
                       detail, ")"));
    case WriteFault::kOther:
      break;
  }
  return absl::InternalError(absl::StrCat(what, ": ", detail));
}

bool WriteHealth::MarkReadOnly(WriteFault fault, absl::string_view detail, absl::Time now) {
  if (writable_.load(std::memory_order_relaxed) || fault_ != fault) {
    // A new episode, or a worse one (disk full escalated to fatal): log it at once.
    if (writable_.load(std::memory_order_relaxed)) {
      since_ = now;
      ++episodes_;
    }
    fault_ = fault;
    detail_ = std::string(detail);
    writable_.store(false, std::memory_order_relaxed);
    last_logged_ = now;
    return true;
  }
  if (now - last_logged_ >= log_interval_) {
    last_logged_ = now;
    return true;
  }
  ++unlogged_;
  return false;
}

bool WriteHealth::OnWriteFailed(WriteFault fault, absl::string_view detail, absl::Time now) {
  absl::MutexLock lock(&mu_);
  switch (fault) {
    case WriteFault::kNone:
      return false;
    case WriteFault::kDiskFull:
      ++disk_full_errors_;
      return MarkReadOnly(fault, detail, now);
    case WriteFault::kFatal:
      return MarkReadOnly(fault, detail, now);
    case WriteFault::kOther:
      break;
  }
  return false;  // an error of this write alone: its caller reports it
}

bool WriteHealth::OnBackgroundError(WriteFault fault, absl::string_view detail, absl::Time now) {
  if (fault != WriteFault::kDiskFull && fault != WriteFault::kFatal) return false;
  absl::MutexLock lock(&mu_);
  return MarkReadOnly(fault, detail, now);
}

bool WriteHealth::OnRecovered() {
  absl::MutexLock lock(&mu_);
  if (writable_.load(std::memory_order_relaxed)) return false;
  if (fault_ == WriteFault::kFatal) return false;  // RocksDB never clears a fatal error
  writable_.store(true, std::memory_order_relaxed);
  fault_ = WriteFault::kNone;
  detail_.clear();
  since_ = absl::InfinitePast();
  last_logged_ = absl::InfinitePast();
  unlogged_ = 0;
  return true;
}

StorageHealth WriteHealth::Get() const {
  absl::MutexLock lock(&mu_);
  StorageHealth h;
  h.writable = writable_.load(std::memory_order_relaxed);
  h.disk_full = fault_ == WriteFault::kDiskFull;
  if (!h.writable) {
    h.reason = fault_ == WriteFault::kDiskFull
                   ? absl::StrCat("the disk is full: writes are refused until space is freed (",
                                  detail_, ")")
                   : absl::StrCat(
                         "storage stopped after an unrecoverable error, restart the "
                         "daemon (",
                         detail_, ")");
  }
  h.since = since_;
  h.disk_full_errors = disk_full_errors_;
  h.read_only_episodes = episodes_;
  return h;
}

uint64_t WriteHealth::TakeUnlogged() {
  absl::MutexLock lock(&mu_);
  const uint64_t n = unlogged_;
  unlogged_ = 0;
  return n;
}

}  // namespace globaltable::storage
