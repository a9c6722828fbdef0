// MemoryStore: an in-memory storage::Store with the parts replication uses (change log, commit
// listener, ApplyBatch with continuity and max-offset checks, watermarks, settings), for
// replication tests that must not depend on RocksDB. Catalog and item calls return
// kUnimplemented. TrimChangeLog drops records as the RocksDB store does (the last one stays).
//
//   clock::HybridClock hlc(&wall);
//   MemoryStore store(/*region_id=*/1, /*partitions=*/16, &hlc);
//   store.AppendLocal(3, 100);          // 100 local mutations in partition 3
//   store.AppliedCount(2);              // mutations from region 2 applied here
//
// Thread-safety: all methods are thread-safe. The commit listener is called outside the data
// lock, serialized with SetCommitListener (so it is never called after being replaced).
#ifndef GLOBALTABLE_REPLICATION_TESTING_MEMORY_STORE_H_
#define GLOBALTABLE_REPLICATION_TESTING_MEMORY_STORE_H_

#include <map>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "storage/store.h"

namespace globaltable::replication::testing {

class MemoryStore final : public storage::Store {
 public:
  MemoryStore(clock::RegionId region_id, uint32_t partitions, clock::HybridClock* clock);

  // Appends `count` PUT mutations with `payload_bytes` of attribute data to `partition`,
  // stamped by the clock, as one commit; returns the last sequence.
  uint64_t AppendLocal(uint32_t partition, int count, size_t payload_bytes = 100);
  // Mutations from `origin` that ApplyBatch applied (each sequence counts once).
  uint64_t AppliedCount(clock::RegionId origin) const;
  // Mutations from `origin` that ApplyBatch saw again (at or below the watermark).
  uint64_t DuplicateCount(clock::RegionId origin) const;

  // storage::Store
  absl::StatusOr<proto::TableSchema> CreateTable(proto::TableSchema schema) override;
  absl::Status DeleteTable(absl::string_view name) override;
  absl::StatusOr<proto::TableSchema> DescribeTable(absl::string_view name) const override;
  absl::StatusOr<proto::TableSchema> UpdateTable(proto::TableSchema schema) override;
  std::vector<std::string> ListTables() const override;
  absl::StatusOr<storage::TableStats> GetTableStats(absl::string_view name) const override;
  absl::StatusOr<std::optional<proto::Item>> GetItem(absl::string_view table,
                                                     const proto::Item& key) const override;
  absl::StatusOr<storage::WriteResult> Write(absl::string_view table, const proto::Item& key,
                                             const storage::DecisionFn& decide) override;
  absl::StatusOr<std::vector<storage::WriteResult>> WriteMany(
      absl::string_view table, absl::Span<const storage::WriteOp> ops) override;
  absl::Status Scan(const storage::ScanSpec& spec,
                    const storage::ScanVisitor& visit) const override;
  uint32_t num_partitions() const override { return partitions_; }
  uint64_t LastSequence(uint32_t partition) const override;
  absl::StatusOr<std::vector<proto::Mutation>> ReadChangeLog(uint32_t partition, uint64_t from,
                                                             size_t max_records,
                                                             size_t max_bytes) const override;
  absl::Status TrimChangeLog(uint32_t partition, uint64_t below) override;
  void SetCommitListener(
      std::function<void(uint32_t partition, uint64_t last_sequence)> listener) override;
  absl::StatusOr<storage::ApplyResult> ApplyBatch(const proto::MutationBatch& batch) override;
  uint64_t AppliedWatermark(clock::RegionId origin, uint32_t partition) const override;
  absl::StatusOr<uint64_t> SkipSequences(clock::RegionId origin, uint32_t partition,
                                         uint64_t through) override;
  clock::Timestamp AppliedHlc(clock::RegionId origin) const override;
  // The transport tests do not exercise the purge horizon.
  std::optional<clock::Timestamp> ClosedHlc(clock::RegionId) const override {
    return std::nullopt;
  }
  absl::StatusOr<uint32_t> WriteHeartbeats() override { return 0u; }
  absl::StatusOr<uint64_t> PurgeTombstones(clock::Timestamp safe_hlc) override;
  absl::StatusOr<storage::TableDigest> Digest(absl::string_view table) const override;
  std::vector<storage::ConflictRecord> RecentConflicts() const override;
  std::vector<storage::ConflictCount> ConflictCounts() const override { return {}; }
  storage::StoreStats stats() const override;
  absl::Status PutSetting(absl::string_view name, absl::string_view value) override;
  absl::StatusOr<std::optional<std::string>> GetSetting(absl::string_view name) const override;

 private:
  const clock::RegionId region_id_;
  const uint32_t partitions_;
  clock::HybridClock* const clock_;

  mutable absl::Mutex listener_mu_;
  std::function<void(uint32_t, uint64_t)> listener_ ABSL_GUARDED_BY(listener_mu_);

  mutable absl::Mutex mu_;
  std::vector<std::vector<proto::Mutation>> log_ ABSL_GUARDED_BY(mu_);  // index = sequence-1
  std::vector<uint64_t> trimmed_below_ ABSL_GUARDED_BY(mu_);  // first readable sequence (>= 1)
  std::map<std::pair<clock::RegionId, uint32_t>, uint64_t> watermarks_ ABSL_GUARDED_BY(mu_);
  std::map<clock::RegionId, clock::Timestamp> applied_hlc_ ABSL_GUARDED_BY(mu_);
  std::map<clock::RegionId, uint64_t> applied_ ABSL_GUARDED_BY(mu_);
  std::map<clock::RegionId, uint64_t> duplicates_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> settings_ ABSL_GUARDED_BY(mu_);
};

}  // namespace globaltable::replication::testing

#endif  // GLOBALTABLE_REPLICATION_TESTING_MEMORY_STORE_H_
