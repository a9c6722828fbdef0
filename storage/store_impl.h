// StoreImpl: the RocksDB implementation of Store (store.h). Internal to storage/.
//
// Where the code is:
//   store_impl.cc   open/recovery, the commit path (writer queue leader), catalog, settings
//   local_write.cc  Write, WriteMany, GetItem and their commit requests
//   apply.cc        ApplyBatch: validation, continuity, LWW, table mutations
//   scan.cc         Scan/Query bounds and iteration
//   maintenance.cc  Digest, PurgeTombstones, change-log reads and trims, stats
//   write_health.h  whether writes are taken (a full disk), fed by CheckWrite and a listener
//   rocksdb_log.h   RocksDB's info log into the daemon's log (no LOG file on the data disk)
//
// Concurrency design:
//   - Every RocksDB write except settings goes through `queue_` (writer_queue.h). Its leader
//     stamps HLCs and change-log sequences, writes the clock's Current() to meta, commits one
//     WriteBatch, then publishes the in-memory effects (catalog, stats, sequences) in queue
//     order. So the in-memory state never runs ahead of what is durable, and the persisted
//     clock bound only grows.
//   - Item writers (local and remote) hold the key's lock stripe from reading the stored
//     version until their commit returns, so the version they compared against is the one
//     they replace. Several stripes are always taken in increasing index order.
//   - Catalog changes (CreateTable, DeleteTable, UpdateTable, and ApplyBatch with table
//     mutations) hold `table_mu_` from their decision to their commit, and are exclusive
//     requests in the queue. Item writes check at commit that their table id is still live.
//   - ApplyBatch holds the lock of its (origin, partition) stream across its commit: this is
//     what makes "check the watermark, then advance it" atomic. It is held across RocksDB I/O
//     on purpose; only batches of the same stream wait on it.
//
// Thread-safety: see store.h (all methods are thread-safe).
#ifndef GLOBALTABLE_STORAGE_STORE_IMPL_H_
#define GLOBALTABLE_STORAGE_STORE_IMPL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/catalog.h"
#include "storage/conflict_log.h"
#include "storage/store.h"
#include "storage/write_health.h"
#include "storage/writer_queue.h"

namespace globaltable::storage {

class StoreImpl final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<StoreImpl>> Create(const StoreOptions& options,
                                                           clock::HybridClock* clock);
  ~StoreImpl() override;

  absl::StatusOr<proto::TableSchema> CreateTable(proto::TableSchema schema) override;
  absl::Status DeleteTable(absl::string_view name) override;
  absl::StatusOr<proto::TableSchema> DescribeTable(absl::string_view name) const override;
  absl::StatusOr<std::shared_ptr<const proto::TableSchema>> GetSchema(
      absl::string_view name) const override;
  absl::StatusOr<proto::TableSchema> UpdateTable(proto::TableSchema schema) override;
  std::vector<std::string> ListTables() const override;
  absl::StatusOr<TableStats> GetTableStats(absl::string_view name) const override;

  absl::StatusOr<std::optional<proto::Item>> GetItem(absl::string_view table,
                                                     const proto::Item& key) const override;
  absl::StatusOr<std::vector<std::optional<proto::Item>>> GetItems(
      absl::Span<const ItemRef> refs) const override;
  absl::StatusOr<std::vector<WriteResult>> WriteTransaction(
      absl::Span<const TransactionWrite> ops) override;
  absl::StatusOr<WriteResult> Write(absl::string_view table, const proto::Item& key,
                                    const DecisionFn& decide) override;
  absl::StatusOr<std::vector<WriteResult>> WriteMany(absl::string_view table,
                                                     absl::Span<const WriteOp> ops) override;
  absl::Status Scan(const ScanSpec& spec, const ScanVisitor& visit) const override;

  uint32_t num_partitions() const override { return num_partitions_; }
  uint64_t LastSequence(uint32_t partition) const override;
  absl::StatusOr<uint32_t> WriteHeartbeats() override;
  absl::StatusOr<std::vector<ChangeLogRecord>> ReadChangeLogRecords(
      uint32_t partition, uint64_t from, size_t max_records, size_t max_bytes) const override;
  absl::StatusOr<std::vector<proto::Mutation>> ReadChangeLog(uint32_t partition, uint64_t from,
                                                             size_t max_records,
                                                             size_t max_bytes) const override;
  absl::Status TrimChangeLog(uint32_t partition, uint64_t below) override;
  void SetCommitListener(
      std::function<void(uint32_t partition, uint64_t last_sequence)> listener) override;

  absl::StatusOr<ApplyResult> ApplyBatch(const proto::MutationBatch& batch) override;
  uint64_t AppliedWatermark(clock::RegionId origin, uint32_t partition) const override;
  absl::StatusOr<uint64_t> SkipSequences(clock::RegionId origin, uint32_t partition,
                                         uint64_t through) override;
  clock::Timestamp AppliedHlc(clock::RegionId origin) const override;
  std::optional<clock::Timestamp> ClosedHlc(clock::RegionId origin) const override;

  absl::StatusOr<uint64_t> PurgeTombstones(clock::Timestamp safe_hlc) override;
  absl::StatusOr<TableDigest> Digest(absl::string_view table) const override;
  std::vector<ConflictRecord> RecentConflicts() const override;
  std::vector<ConflictCount> ConflictCounts() const override;
  StoreStats stats() const override;
  StorageHealth health() const override { return health_->Get(); }

  absl::Status PutSetting(absl::string_view name, absl::string_view value) override;
  absl::StatusOr<std::optional<std::string>> GetSetting(absl::string_view name) const override;

  // For tests and benchmarks: commit groups so far.
  uint64_t commit_groups() const { return queue_.groups(); }

 private:
  // Change of one table's counters by one item write.
  struct StatsDelta {
    int64_t live_items = 0;
    int64_t tombstones = 0;
    int64_t live_bytes = 0;
  };
  // What the leader assembles for one commit group.
  struct GroupContext {
    rocksdb::WriteBatch batch;
    // Partitions given records in this group -> their last sequence in it.
    absl::flat_hash_map<uint32_t, uint64_t> sequences;
    // Tables' counter changes in this group, added to their persisted counters at commit.
    absl::flat_hash_map<uint32_t, StatsDelta> stats;
    absl::flat_hash_set<uint32_t> installed;  // tables this group creates (counters from 0)
    absl::flat_hash_set<uint32_t> dropped;    // tables this group deletes (counters go)
    uint64_t NextSequence(const StoreImpl& store, uint32_t partition);
    void AddStats(uint32_t table_id, const StatsDelta& d) {
      StatsDelta& sum = stats[table_id];
      sum.live_items += d.live_items;
      sum.tombstones += d.tombstones;
      sum.live_bytes += d.live_bytes;
    }
  };
  // A request in the writer queue. Build() runs on the leader and adds the request's writes
  // to the group (or rejects it); Publish() runs after the group is durable, in queue order.
  class CommitRequest : public WriterQueue::Request {
   public:
    using WriterQueue::Request::Request;
    virtual void Build(StoreImpl* store, GroupContext* ctx) = 0;
    virtual void Publish(StoreImpl* store) = 0;
  };
  class LocalWrite;
  class MultiWrite;
  class PurgeRequest;
  class TableChange;
  class Heartbeats;
  class RemoteApply;
  class HealthListener;
  // A local write's key, resolved against its table.
  struct PreparedKey {
    proto::Item canonical;          // the key attributes, canonical
    std::string suffix;             // EncodeKeySuffix of the key
    std::string item_key;           // items column family key
    uint32_t partition = 0;         // change-log partition
    std::string partition_prefix;   // EncodePartitionPrefix, carried by the record
  };

  StoreImpl(const StoreOptions& options, clock::HybridClock* clock);

  absl::Status OpenDb();
  absl::Status Recover();
  absl::Status CommitGroup(absl::Span<WriterQueue::Request* const> group);
  // Every RocksDB write's status goes through here: a full disk becomes kUnavailable and
  // marks the store read-only in health_ (logged at most once per 30 s), a success ends a
  // read-only episode, other errors convert as FromRocks.
  absl::Status CheckWrite(const rocksdb::Status& s, absl::string_view what);

  std::mutex& StripeFor(absl::string_view item_key) const;
  absl::StatusOr<PreparedKey> PrepareKey(const CatalogEntry& table, const proto::Item& key) const;
  // The steps of a local write under its key's stripe (held by the caller), given the stored
  // version read under it: run the decision, validate the new image. Fills `result` (not
  // version/sequence) and returns the commit request, or nullptr when the decision is kNoop.
  absl::StatusOr<std::unique_ptr<LocalWrite>> DecideLocalWrite(
      const CatalogEntry& table, PreparedKey key, std::optional<proto::StoredItem> current,
      const DecisionFn& decide, WriteResult* result);
  // The stored version at `item_key` (items CF); nullopt when absent.
  absl::StatusOr<std::optional<proto::StoredItem>> ReadStored(absl::string_view item_key) const;
  // The same for several keys with one RocksDB MultiGet; out[i] belongs to keys[i]. With a
  // snapshot, as of it.
  absl::Status ReadStoredMany(absl::Span<const rocksdb::Slice> keys,
                              std::vector<std::optional<proto::StoredItem>>* out,
                              const rocksdb::Snapshot* snapshot = nullptr) const;
  // One item write of WriteItems: its table, key and decision.
  struct ItemWrite {
    const CatalogEntry* table;
    const proto::Item* key;
    const DecisionFn* decide;
  };
  // WriteMany and WriteTransaction: the items under all their stripes, one commit. With
  // `evaluate_all`, every decision runs even after one failed (then the first error returns).
  absl::StatusOr<std::vector<WriteResult>> WriteItems(absl::Span<const ItemWrite> writes,
                                                      bool evaluate_all);
  // The change of the table counters when `before` is replaced (`written`) by a live item of
  // `live_size` bytes, or by a tombstone (nullopt).
  static StatsDelta DeltaOf(const std::optional<proto::StoredItem>& before, bool written,
                            std::optional<size_t> live_size);
  void ApplyStats(uint32_t table_id, const StatsDelta& d);
  size_t StripeIndex(absl::string_view item_key) const;
  absl::Mutex* StreamLock(clock::RegionId origin, uint32_t partition);
  // ApplyBatch steps (apply.cc): decide table mutations and key the items of
  // mutations[skip..]; then, under the key stripes, decide LWW against the stored versions.
  absl::Status PlanApply(const proto::MutationBatch& batch, int skip, RemoteApply* request);
  absl::Status ResolveApply(RemoteApply* request);

  const StoreOptions options_;
  uint32_t num_partitions_;  // from the options, or the store's own (set by Recover)
  clock::HybridClock* const clock_;

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* items_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* changelog_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed before db_
  rocksdb::WriteOptions write_options_;

  WriterQueue queue_;
  // Key lock stripes. std::mutex, not absl::Mutex: an apply holds up to one stripe per
  // mutation at once, and absl's deadlock detector does graph work for every lock held.
  // The order rule (increasing index) is what prevents deadlock here.
  static constexpr size_t kStripes = 1024;
  std::unique_ptr<std::mutex[]> stripes_;

  Catalog catalog_;
  absl::Mutex table_mu_ ABSL_ACQUIRED_BEFORE(stats_mu_);
  uint32_t next_table_id_ ABSL_GUARDED_BY(table_mu_) = 1;

  // Last committed sequence per partition; written by the commit leader only.
  std::unique_ptr<std::atomic<uint64_t>[]> last_sequence_;

  mutable absl::Mutex stats_mu_;
  absl::flat_hash_map<uint32_t, TableStats> table_stats_ ABSL_GUARDED_BY(stats_mu_);

  mutable absl::Mutex watermark_mu_;
  absl::flat_hash_map<uint64_t, uint64_t> watermarks_ ABSL_GUARDED_BY(watermark_mu_);
  absl::flat_hash_map<clock::RegionId, clock::Timestamp> applied_hlc_
      ABSL_GUARDED_BY(watermark_mu_);
  // Since open: hlc of the last record applied per (origin << 32 | partition), and each
  // origin's number of partitions as its last HEARTBEAT said (ClosedHlc).
  absl::flat_hash_map<uint64_t, clock::Timestamp> closed_hlc_ ABSL_GUARDED_BY(watermark_mu_);
  absl::flat_hash_map<clock::RegionId, uint32_t> origin_partitions_
      ABSL_GUARDED_BY(watermark_mu_);
  // Per partition, its last sequence when WriteHeartbeats last looked (kNeverLooked before
  // the first call). Touched only by the commit leader, in Heartbeats::Build.
  static constexpr uint64_t kNeverLooked = UINT64_MAX;
  std::vector<uint64_t> heartbeat_seen_;

  absl::Mutex stream_locks_mu_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<absl::Mutex>> stream_locks_
      ABSL_GUARDED_BY(stream_locks_mu_);

  mutable absl::Mutex listener_mu_;
  std::function<void(uint32_t, uint64_t)> listener_ ABSL_GUARDED_BY(listener_mu_);

  ConflictLog conflicts_;
  // Shared with the RocksDB listener, which may outlive the store by a few calls during Close.
  const std::shared_ptr<WriteHealth> health_;
  std::atomic<uint64_t> local_writes_{0};
  std::atomic<uint64_t> remote_applied_{0};
  uint64_t tables_counted_at_open_ = 0;  // set by Recover
};

// Abseil 20220623's string_view is its own type: convert at the RocksDB boundary.
inline absl::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
inline rocksdb::Slice ToSlice(absl::string_view s) { return {s.data(), s.size()}; }

// `key` canonicalized (sorted, numbers normalized) and checked against the schema.
absl::StatusOr<proto::Item> CanonicalKey(const proto::TableSchema& schema, const proto::Item& key);
// Whether `item` has the key attribute values of `key` (values that encode to the same key),
// without building either's encoded key.
bool SameKey(const proto::TableSchema& schema, const proto::Item& key, const proto::Item& item);

// Converts a RocksDB status (kInternal, or kDataLoss for corruption).
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

// Appends the serialized StoredItem of a write: its version, the version it replaced at its
// origin, and `image` (a serialized proto::Item, the live item; ignored for a tombstone) spliced
// in as field 4 without parsing it. The same bytes as SerializeAsString of the message
// (LocalWriteTest.RecordsAreCanonicalSerializations).
void AppendStoredItem(clock::Version version, clock::Version prev, bool tombstone,
                      absl::string_view image, std::string* out);

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_STORE_IMPL_H_
