// MemoryStore implementation. Thread-safety: see memory_store.h.
#include "replication/testing/memory_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace globaltable::replication::testing {
namespace {

absl::Status NotHere(const char* what) {
  return absl::UnimplementedError(absl::StrCat("MemoryStore::", what));
}

}  // namespace

MemoryStore::MemoryStore(clock::RegionId region_id, uint32_t partitions, clock::HybridClock* clock)
    : region_id_(region_id),
      partitions_(partitions),
      clock_(clock),
      log_(partitions),
      trimmed_below_(partitions, 1) {}

uint64_t MemoryStore::AppendLocal(uint32_t partition, int count, size_t payload_bytes) {
  uint64_t last = 0;
  {
    absl::MutexLock lock(&mu_);
    std::vector<proto::Mutation>& log = log_[partition];
    for (int i = 0; i < count; ++i) {
      proto::Mutation m;
      m.set_kind(proto::Mutation::PUT);
      m.set_table("t");
      m.set_hlc(clock_->Now());
      m.set_origin_region(region_id_);
      m.set_sequence(log.size() + 1);
      m.set_partition_key(absl::StrCat("k", partition, "-", m.sequence()));
      proto::Attribute* a = m.mutable_item()->add_attributes();
      a->set_name("payload");
      a->mutable_value()->set_s(std::string(payload_bytes, 'x'));
      log.push_back(std::move(m));
    }
    last = log.size();
  }
  absl::MutexLock lock(&listener_mu_);
  if (listener_) listener_(partition, last);
  return last;
}

uint64_t MemoryStore::AppliedCount(clock::RegionId origin) const {
  absl::MutexLock lock(&mu_);
  auto it = applied_.find(origin);
  return it == applied_.end() ? 0 : it->second;
}

uint64_t MemoryStore::DuplicateCount(clock::RegionId origin) const {
  absl::MutexLock lock(&mu_);
  auto it = duplicates_.find(origin);
  return it == duplicates_.end() ? 0 : it->second;
}

absl::StatusOr<proto::TableSchema> MemoryStore::CreateTable(proto::TableSchema) {
  return NotHere("CreateTable");
}
absl::Status MemoryStore::DeleteTable(absl::string_view) { return NotHere("DeleteTable"); }
absl::StatusOr<proto::TableSchema> MemoryStore::DescribeTable(absl::string_view) const {
  return NotHere("DescribeTable");
}
absl::StatusOr<proto::TableSchema> MemoryStore::UpdateTable(proto::TableSchema) {
  return NotHere("UpdateTable");
}
std::vector<std::string> MemoryStore::ListTables() const { return {}; }
absl::StatusOr<storage::TableStats> MemoryStore::GetTableStats(absl::string_view) const {
  return NotHere("GetTableStats");
}
absl::StatusOr<std::optional<proto::Item>> MemoryStore::GetItem(absl::string_view,
                                                                const proto::Item&) const {
  return NotHere("GetItem");
}
absl::StatusOr<storage::WriteResult> MemoryStore::Write(absl::string_view, const proto::Item&,
                                                        const storage::DecisionFn&) {
  return NotHere("Write");
}
absl::StatusOr<std::vector<storage::WriteResult>> MemoryStore::WriteMany(
    absl::string_view, absl::Span<const storage::WriteOp>) {
  return NotHere("WriteMany");
}
absl::Status MemoryStore::Scan(const storage::ScanSpec&, const storage::ScanVisitor&) const {
  return NotHere("Scan");
}

uint64_t MemoryStore::LastSequence(uint32_t partition) const {
  absl::MutexLock lock(&mu_);
  return partition < log_.size() ? log_[partition].size() : 0;
}

absl::StatusOr<std::vector<proto::Mutation>> MemoryStore::ReadChangeLog(uint32_t partition,
                                                                        uint64_t from,
                                                                        size_t max_records,
                                                                        size_t max_bytes) const {
  absl::MutexLock lock(&mu_);
  if (partition >= log_.size()) return absl::InvalidArgumentError("no such partition");
  std::vector<proto::Mutation> out;
  size_t bytes = 0;
  const std::vector<proto::Mutation>& log = log_[partition];
  for (uint64_t seq = std::max<uint64_t>(from, trimmed_below_[partition]); seq <= log.size();
       ++seq) {
    if (out.size() >= max_records || (!out.empty() && bytes >= max_bytes)) break;
    out.push_back(log[seq - 1]);
    bytes += out.back().ByteSizeLong();
  }
  return out;
}

absl::Status MemoryStore::TrimChangeLog(uint32_t partition, uint64_t below) {
  absl::MutexLock lock(&mu_);
  if (partition >= log_.size()) return absl::InvalidArgumentError("no such partition");
  // Like the RocksDB store: the partition's last record always stays.
  std::vector<proto::Mutation>& log = log_[partition];
  const uint64_t end = std::min<uint64_t>(below, log.size());
  for (uint64_t seq = trimmed_below_[partition]; seq < end; ++seq) log[seq - 1].Clear();
  trimmed_below_[partition] = std::max(trimmed_below_[partition], end);
  return absl::OkStatus();
}

void MemoryStore::SetCommitListener(std::function<void(uint32_t, uint64_t)> listener) {
  absl::MutexLock lock(&listener_mu_);
  listener_ = std::move(listener);
}

absl::StatusOr<storage::ApplyResult> MemoryStore::ApplyBatch(const proto::MutationBatch& batch) {
  uint64_t first = batch.first_sequence();
  uint64_t last = batch.last_sequence();
  if (first == 0 || last < first ||
      static_cast<uint64_t>(batch.mutations_size()) != last - first + 1) {
    return absl::InvalidArgumentError("malformed batch");
  }
  absl::MutexLock lock(&mu_);
  uint64_t& wm = watermarks_[{batch.origin_region(), batch.partition()}];
  storage::ApplyResult r;
  if (first > wm + 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("gap: batch starts at ", first, ", watermark ", wm));
  }
  if (last <= wm) {
    r.duplicates = last - first + 1;
    duplicates_[batch.origin_region()] += r.duplicates;
    return r;
  }
  clock::Timestamp max_hlc = 0;
  for (const proto::Mutation& m : batch.mutations()) {
    if (m.sequence() > wm) max_hlc = std::max<clock::Timestamp>(max_hlc, m.hlc());
  }
  absl::StatusOr<clock::Timestamp> updated = clock_->Update(max_hlc);
  if (!updated.ok()) return updated.status();
  r.duplicates = wm + 1 - first;
  r.applied = last - wm;
  duplicates_[batch.origin_region()] += r.duplicates;
  applied_[batch.origin_region()] += r.applied;
  wm = last;
  clock::Timestamp& h = applied_hlc_[batch.origin_region()];
  h = std::max(h, max_hlc);
  return r;
}

uint64_t MemoryStore::AppliedWatermark(clock::RegionId origin, uint32_t partition) const {
  absl::MutexLock lock(&mu_);
  auto it = watermarks_.find({origin, partition});
  return it == watermarks_.end() ? 0 : it->second;
}

absl::StatusOr<uint64_t> MemoryStore::SkipSequences(clock::RegionId origin, uint32_t partition,
                                                    uint64_t through) {
  absl::MutexLock lock(&mu_);
  uint64_t& w = watermarks_[{origin, partition}];
  if (through <= w) return absl::FailedPreconditionError("nothing to skip");
  uint64_t before = w;
  w = through;
  return before;
}

clock::Timestamp MemoryStore::AppliedHlc(clock::RegionId origin) const {
  absl::MutexLock lock(&mu_);
  auto it = applied_hlc_.find(origin);
  return it == applied_hlc_.end() ? 0 : it->second;
}

absl::StatusOr<uint64_t> MemoryStore::PurgeTombstones(clock::Timestamp) { return 0; }
absl::StatusOr<storage::TableDigest> MemoryStore::Digest(absl::string_view) const {
  return NotHere("Digest");
}
std::vector<storage::ConflictRecord> MemoryStore::RecentConflicts() const { return {}; }
storage::StoreStats MemoryStore::stats() const { return {}; }

absl::Status MemoryStore::PutSetting(absl::string_view name, absl::string_view value) {
  absl::MutexLock lock(&mu_);
  settings_[std::string(name)] = std::string(value);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> MemoryStore::GetSetting(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = settings_.find(std::string(name));
  if (it == settings_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

}  // namespace globaltable::replication::testing
