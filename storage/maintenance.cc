// StoreImpl: change-log reads and trims, watermark reads, digests, tombstone purge, conflicts
// and stats. Thread-safe; the concurrency design is in store_impl.h.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "storage/key_codec.h"
#include "storage/layout.h"
#include "storage/store_impl.h"
#include "storage/value.h"

namespace globaltable::storage {

uint64_t StoreImpl::LastSequence(uint32_t partition) const {
  if (partition >= num_partitions_) return 0;
  return last_sequence_[partition].load(std::memory_order_acquire);
}

absl::StatusOr<std::vector<proto::Mutation>> StoreImpl::ReadChangeLog(uint32_t partition,
                                                                      uint64_t from,
                                                                      size_t max_records,
                                                                      size_t max_bytes) const {
  if (partition >= num_partitions_) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition ", partition, " is out of range [0, ", num_partitions_, ")"));
  }
  std::vector<proto::Mutation> out;
  // Only committed records: a record is visible once its group's batch is written, but the
  // partition's last sequence is published just after, and readers go by that.
  const uint64_t last = LastSequence(partition);
  if (max_records == 0 || from > last) return out;
  const std::string lower = layout::ChangeLogKey(partition, std::max<uint64_t>(from, 1));
  const std::string upper = layout::ChangeLogKey(partition, last + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, changelog_cf_));
  size_t bytes = 0;
  for (it->Seek(lower); it->Valid() && out.size() < max_records; it->Next()) {
    if (!out.empty() && bytes + it->value().size() > max_bytes) break;
    proto::Mutation m;
    if (!m.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("bad change-log record");
    }
    bytes += it->value().size();
    out.push_back(std::move(m));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the change log"));
  return out;
}

absl::Status StoreImpl::TrimChangeLog(uint32_t partition, uint64_t below) {
  if (partition >= num_partitions_) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition ", partition, " is out of range [0, ", num_partitions_, ")"));
  }
  // The partition's last record always stays: it is how Open finds the last sequence.
  const uint64_t end = std::min(below, LastSequence(partition));
  if (end <= 1) return absl::OkStatus();
  return FromRocks(
      db_->DeleteRange(write_options_, changelog_cf_, layout::ChangeLogKey(partition, 0),
                       layout::ChangeLogKey(partition, end)),
      "trimming the change log");
}

uint64_t StoreImpl::AppliedWatermark(clock::RegionId origin, uint32_t partition) const {
  absl::MutexLock lock(&watermark_mu_);
  auto it = watermarks_.find((uint64_t{origin} << 32) | partition);
  return it == watermarks_.end() ? 0 : it->second;
}

clock::Timestamp StoreImpl::AppliedHlc(clock::RegionId origin) const {
  absl::MutexLock lock(&watermark_mu_);
  auto it = applied_hlc_.find(origin);
  return it == applied_hlc_.end() ? 0 : it->second;
}

std::vector<ConflictRecord> StoreImpl::RecentConflicts() const { return conflicts_.Recent(); }

StoreStats StoreImpl::stats() const {
  StoreStats s;
  s.conflicts = conflicts_.total();
  s.local_writes = local_writes_.load(std::memory_order_relaxed);
  s.remote_applied = remote_applied_.load(std::memory_order_relaxed);
  for (rocksdb::ColumnFamilyHandle* cf : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(cf, "rocksdb.total-sst-files-size", &v)) s.sst_bytes += v;
    if (db_->GetIntProperty(cf, "rocksdb.estimate-pending-compaction-bytes", &v)) {
      s.pending_compaction_bytes += v;
    }
  }
  return s;
}

absl::StatusOr<TableDigest> StoreImpl::Digest(absl::string_view table) const {
  return absl::UnimplementedError("Digest");
}

absl::StatusOr<uint64_t> StoreImpl::PurgeTombstones(clock::Timestamp safe_hlc) {
  return absl::UnimplementedError("PurgeTombstones");
}

}  // namespace globaltable::storage
