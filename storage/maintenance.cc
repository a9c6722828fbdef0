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

absl::StatusOr<std::vector<ChangeLogRecord>> StoreImpl::ReadChangeLogRecords(
    uint32_t partition, uint64_t from, size_t max_records, size_t max_bytes) const {
  if (partition >= num_partitions_) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition ", partition, " is out of range [0, ", num_partitions_, ")"));
  }
  std::vector<ChangeLogRecord> out;
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
    ChangeLogRecord r;
    const rocksdb::Slice key = it->key();
    if (!layout::DecodeChangeLogSequence(absl::string_view(key.data(), key.size()), &r.sequence)) {
      return absl::DataLossError("bad change-log key");
    }
    r.bytes.assign(it->value().data(), it->value().size());
    bytes += r.bytes.size();
    out.push_back(std::move(r));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the change log"));
  return out;
}

absl::StatusOr<std::vector<proto::Mutation>> StoreImpl::ReadChangeLog(uint32_t partition,
                                                                      uint64_t from,
                                                                      size_t max_records,
                                                                      size_t max_bytes) const {
  // The records as stored, parsed: one iteration of the change log for both readers.
  ASSIGN_OR_RETURN(std::vector<ChangeLogRecord> records,
                   ReadChangeLogRecords(partition, from, max_records, max_bytes));
  std::vector<proto::Mutation> out(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (!out[i].ParseFromString(records[i].bytes)) {
      return absl::DataLossError("bad change-log record");
    }
  }
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
  return CheckWrite(
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

std::optional<clock::Timestamp> StoreImpl::ClosedHlc(clock::RegionId origin) const {
  absl::MutexLock lock(&watermark_mu_);
  auto partitions = origin_partitions_.find(origin);
  if (partitions == origin_partitions_.end()) return std::nullopt;
  std::optional<clock::Timestamp> closed;
  for (uint32_t p = 0; p < partitions->second; ++p) {
    auto it = closed_hlc_.find((uint64_t{origin} << 32) | p);
    if (it == closed_hlc_.end()) return std::nullopt;
    closed = std::min(closed.value_or(it->second), it->second);
  }
  return closed;
}

std::vector<ConflictRecord> StoreImpl::RecentConflicts() const { return conflicts_.Recent(); }

std::vector<ConflictCount> StoreImpl::ConflictCounts() const { return conflicts_.Counts(); }

// Deletes purgeable tombstones of one table (their keys are locked by the caller).
class StoreImpl::PurgeRequest final : public StoreImpl::CommitRequest {
 public:
  explicit PurgeRequest(const CatalogEntry& table) : table_(table) {}

  void Build(StoreImpl* store, GroupContext* ctx) override {
    if (!store->catalog_.IsLive(table_.table_id)) {
      Reject(absl::NotFoundError(absl::StrCat("Table was deleted: ", table_.schema.name())));
      return;
    }
    for (const std::string& k : keys) ctx->batch.Delete(store->items_cf_, k);
    ctx->AddStats(table_.table_id, Delta());
  }

  void Publish(StoreImpl* store) override { store->ApplyStats(table_.table_id, Delta()); }

  std::vector<std::string> keys;

 private:
  StatsDelta Delta() const {
    StatsDelta d;
    d.tombstones = -static_cast<int64_t>(keys.size());
    return d;
  }
  const CatalogEntry& table_;
};

StoreStats StoreImpl::stats() const {
  StoreStats s;
  s.conflicts = conflicts_.total();
  s.local_writes = local_writes_.load(std::memory_order_relaxed);
  s.remote_applied = remote_applied_.load(std::memory_order_relaxed);
  s.commit_groups = queue_.groups();
  s.tables_counted_at_open = tables_counted_at_open_;
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
  std::shared_ptr<const CatalogEntry> live = catalog_.FindLive(table);
  if (live == nullptr) {
    return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", table));
  }
  // Each live item hashes (key_suffix, hlc, origin, 0, item bytes) with two seeds; the
  // lanes are wrapping sums, so the digest does not depend on iteration order and two regions
  // holding the same versions agree whatever their local table ids.
  const std::string lower = layout::TablePrefix(live->table_id);
  const std::string upper = layout::TablePrefix(live->table_id + 1);
  const rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
  TableDigest digest;
  digest.table = std::string(table);
  uint64_t lane1 = 0, lane2 = 0;
  proto::StoredItem stored;
  std::string entry;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!stored.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("bad stored item");
    }
    if (stored.tombstone()) {
      // Counted, not hashed: regions purge tombstones at different moments (each when its
      // own purge horizon passes them), and a purged tombstone reads the same as one kept.
      ++digest.tombstones;
      continue;
    }
    const absl::string_view suffix = View(it->key()).substr(4);
    entry.clear();
    layout::AppendU32(static_cast<uint32_t>(suffix.size()), &entry);
    entry.append(suffix.data(), suffix.size());
    layout::AppendU64(stored.hlc(), &entry);
    layout::AppendU32(stored.origin_region(), &entry);
    entry.push_back(0);  // tombstone flag: live items hash as they did when tombstones counted
    stored.item().AppendToString(&entry);
    lane1 += layout::Hash64(entry, 0xd16e57a1);
    lane2 += layout::Hash64(entry, 0xd16e57a2);
    ++digest.items;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading items"));
  digest.digest = absl::StrFormat("%016x%016x", lane1, lane2);
  return digest;
}

absl::StatusOr<uint64_t> StoreImpl::PurgeTombstones(clock::Timestamp safe_hlc) {
  const uint64_t now_ms = clock::PhysicalMillis(clock_->Now());
  const uint64_t grace_ms =
      static_cast<uint64_t>(absl::ToInt64Milliseconds(options_.tombstone_grace));
  auto purgeable = [&](const proto::StoredItem& s) {
    return s.tombstone() && s.hlc() < safe_hlc && s.tombstone_purge_after_ms() + grace_ms <= now_ms;
  };
  uint64_t purged = 0;
  for (const std::shared_ptr<const CatalogEntry>& table : catalog_.Live()) {
    const std::string lower = layout::TablePrefix(table->table_id);
    const std::string upper = layout::TablePrefix(table->table_id + 1);
    const rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_slice;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
    it->SeekToFirst();
    proto::StoredItem stored;
    while (it->Valid()) {
      // Candidates in chunks; each is re-checked under its stripe, because a write may have
      // replaced the tombstone since the iterator's snapshot.
      std::vector<std::string> candidates;
      for (; it->Valid() && candidates.size() < 256; it->Next()) {
        if (!stored.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
          return absl::DataLossError("bad stored item");
        }
        if (purgeable(stored)) candidates.push_back(it->key().ToString());
      }
      RETURN_IF_ERROR(FromRocks(it->status(), "reading items"));
      if (candidates.empty()) continue;
      std::vector<size_t> stripes;
      for (const std::string& k : candidates) stripes.push_back(StripeIndex(k));
      std::sort(stripes.begin(), stripes.end());
      stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
      for (size_t s : stripes) stripes_[s].lock();
      PurgeRequest request(*table);
      absl::Status status;
      for (std::string& k : candidates) {
        absl::StatusOr<std::optional<proto::StoredItem>> now = ReadStored(k);
        if (!now.ok()) {
          status = now.status();
          break;
        }
        if (now->has_value() && purgeable(**now)) request.keys.push_back(std::move(k));
      }
      // Through the writer queue, like every change of the items: the table's counters are
      // rewritten by the commit group that changes them (store_impl.cc, CommitGroup).
      if (status.ok() && !request.keys.empty()) status = queue_.Submit(&request);
      for (auto s = stripes.rbegin(); s != stripes.rend(); ++s) stripes_[*s].unlock();
      if (absl::IsNotFound(status)) break;  // the table was deleted meanwhile
      RETURN_IF_ERROR(status);
      purged += request.keys.size();
    }
  }
  return purged;
}

}  // namespace globaltable::storage
